/**
 * Checks on a generated AsyncAPI document shared by the tests: the official
 * parser's verdict, and its schemas compiled with Ajv, so that a test can ask
 * whether an envelope the app accepts is one the document allows.
 */
import assert from 'node:assert/strict';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

const parser = new Parser();

/** Spectral's severities: 0 error, 1 warning, 2 information, 3 hint. */
const WARNING = 1;

/**
 * Parses `document` with `@asyncapi/parser` and fails on any error or
 * warning (information, such as "3.1.0 exists", is let through).
 */
export async function assertValidAsyncApi(document: unknown): Promise<void> {
  const { document: parsed, diagnostics } = await parser.parse(document as never);
  const problems = diagnostics
    .filter((d) => d.severity <= WARNING)
    .map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`);
  assert.deepEqual(problems, []);
  assert.ok(parsed, 'the parser returned a document');
}

/** A document's operations by action and channel title (the event name). */
export function operations(document: unknown): { receive: Set<string>; send: Set<string> } {
  const doc = document as {
    channels: Record<string, { title: string }>;
    operations: Record<string, { action: 'send' | 'receive'; channel: { $ref: string } }>;
  };
  const out = { receive: new Set<string>(), send: new Set<string>() };
  for (const op of Object.values(doc.operations)) {
    const id = op.channel.$ref.slice('#/channels/'.length);
    out[op.action].add(doc.channels[id]!.title);
  }
  return out;
}

/** The channel of an event, by its title. */
export function channelOf(document: unknown, event: string): { id: string; body: any } {
  const channels = (document as { channels: Record<string, { title: string }> }).channels;
  const found = Object.entries(channels).find(([, c]) => c.title === event);
  assert.ok(found, `a channel for ${event}`);
  return { id: found[0], body: found[1] };
}

/** The (first) operation on an event's channel. */
export function operationOf(document: unknown, event: string): any {
  const { id } = channelOf(document, event);
  const ops = Object.values((document as { operations: Record<string, any> }).operations);
  const found = ops.find(
    (op: { channel: { $ref: string } }) => op.channel.$ref === `#/channels/${id}`,
  );
  assert.ok(found, `an operation on ${event}`);
  return found;
}

/**
 * A validator over the document's own schemas: `allows(pointer, value)` says
 * whether `value` matches the schema at a JSON pointer into the document
 * (`#/channels/chat/messages/fromClient/payload`).
 */
export function schemaValidator(document: unknown): (pointer: string, value: unknown) => boolean {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document as object, 'doc');
  return (pointer, value) => {
    const validate = ajv.getSchema(`doc${pointer}`);
    assert.ok(validate, `a schema at ${pointer}`);
    return validate(value) as boolean;
  };
}
