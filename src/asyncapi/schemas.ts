import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { appError, appErrorCausedBy } from '../core/errors.js';
import type { DtoClass } from '../core/validation.js';
import { isApplicationClass } from '../core/container.js';

/** A JSON Schema, as the AsyncAPI document holds it. */
export type JsonSchema = { [key: string]: unknown };

/** The part of class-validator-jsonschema carom calls. */
interface Converter {
  targetConstructorToSchema(cls: DtoClass, options: object): JsonSchema;
}

/** The part of class-transformer's metadata that says what `@Type` a property has. */
interface TransformerStorage {
  findTypeMetadata(target: DtoClass, property: string): { typeFunction(): unknown } | undefined;
}

const SCHEMAS = '#/components/schemas/';
/** class-transformer's storage module: the one its `plainToInstance` reads (it ships no types for it). */
const TRANSFORMER_STORAGE = 'class-transformer/cjs/storage.js';
/** What AsyncAPI allows as a key of `components`. */
const COMPONENT_KEY = /^[A-Za-z0-9._-]+$/;

/**
 * Loads the converter on first use: an app that never asks for its document
 * never loads it, and an app without it installed is told what to install.
 */
async function loadConverter(): Promise<{ converter: Converter; types: TransformerStorage }> {
  try {
    const converter = (await import('class-validator-jsonschema')) as unknown as Converter;
    // class-transformer's own storage of `@Type`, the same instance its `plainToInstance` reads:
    // without it the converter takes an array of DTOs for an array of `Array`.
    const storage = (await import(TRANSFORMER_STORAGE)) as {
      defaultMetadataStorage: TransformerStorage;
    };
    return { converter, types: storage.defaultMetadataStorage };
  } catch (err) {
    throw appErrorCausedBy(err, 'CAROM_ERR_ASYNCAPI_CONVERTER_MISSING');
  }
}

/**
 * `@Matches` with flags: JSON Schema patterns have none, so a pattern with `i`,
 * `m`, `s` or `g` would describe other strings than the ones accepted. Such a
 * pattern is given as a description instead.
 */
function matches(meta: { readonly constraints: unknown[] }): JsonSchema {
  const [pattern, modifiers] = meta.constraints as [RegExp | string, string | undefined];
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const flags = (typeof pattern === 'string' ? (modifiers ?? '') : pattern.flags).replace(/u/g, '');
  if (flags === '') return { type: 'string', pattern: source };
  return { type: 'string', description: `matches /${source}/${flags}` };
}

/** Metadata that checks nothing of a missing property: class-validator lets it through. */
const PASSES_MISSING = new Set<string>([
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.WHITELIST,
  ValidationTypes.PROMISE_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
]);

/**
 * Marks what class-validator lets through unchecked: `@IsOptional` passes
 * `null` as well as a missing property, `@ValidateIf` anything when its
 * condition is false, and a property with only `@ValidateNested` may be
 * missing (unless `@IsDefined` says otherwise).
 */
function markUnchecked(cls: DtoClass, schema: JsonSchema): void {
  const properties = schema['properties'] as Record<string, JsonSchema> | undefined;
  if (properties === undefined) return;
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const checksMissing = new Set<string>();
  for (const meta of metas) {
    if (!PASSES_MISSING.has(meta.type)) checksMissing.add(meta.propertyName);
    if (meta.type !== ValidationTypes.CONDITIONAL_VALIDATION) continue;
    const property = properties[meta.propertyName];
    if (property === undefined) continue;
    properties[meta.propertyName] =
      meta.name === 'isOptional'
        ? { anyOf: [property, { type: 'null' }] }
        : {
            anyOf: [property, {}],
            description:
              'checked against the first schema only when a condition of the application holds',
          };
  }
  const required = schema['required'] as string[] | undefined;
  if (required === undefined) return;
  const kept = required.filter((name) => checksMissing.has(name));
  if (kept.length > 0) schema['required'] = kept;
  else delete schema['required'];
}

/** The classes a DTO's properties hold, through `@ValidateNested` and `@Type`. */
function nestedClasses(cls: DtoClass, types: TransformerStorage): DtoClass[] {
  const found: DtoClass[] = [];
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  for (const meta of metas) {
    if (meta.type !== ValidationTypes.NESTED_VALIDATION) continue;
    const property = meta.propertyName;
    const declared = types.findTypeMetadata(cls, property)?.typeFunction();
    const type =
      declared ??
      (Reflect.getMetadata('design:type', cls.prototype as object, property) as unknown);
    if (isApplicationClass(type)) found.push(type as DtoClass);
  }
  return found;
}

/** Rewrites the converter's `$ref`s, which name classes, to the keys carom gave them. */
function rewriteRefs(value: unknown, keys: ReadonlyMap<string, string>): void {
  if (Array.isArray(value)) {
    for (const item of value) rewriteRefs(item, keys);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as JsonSchema;
  const ref = record['$ref'];
  if (typeof ref === 'string' && ref.startsWith(SCHEMAS)) {
    const key = keys.get(ref.slice(SCHEMAS.length));
    if (key !== undefined) record['$ref'] = SCHEMAS + key;
  }
  for (const child of Object.values(record)) rewriteRefs(child, keys);
}

/** The JSON Schemas of a set of DTO classes and of every class they nest. */
export interface DtoSchemas {
  /** Each class's key in `components.schemas`. */
  readonly keys: ReadonlyMap<DtoClass, string>;
  /** `components.schemas`. */
  readonly schemas: Record<string, JsonSchema>;
}

/**
 * JSON Schemas from class-validator's metadata of `roots` and of the classes
 * they nest, through class-validator-jsonschema. A class is a component named
 * after it, referenced wherever it is used; two classes of one name are a
 * configuration error, since a document cannot tell them apart. With
 * `closed`, a schema allows no property the class does not declare (the app
 * refuses them: `unknownProperties: 'refuse'`).
 */
export async function dtoSchemas(roots: Iterable<DtoClass>, closed: boolean): Promise<DtoSchemas> {
  const { converter, types } = await loadConverter();
  const options = {
    classTransformerMetadataStorage: types,
    refPointerPrefix: SCHEMAS,
    additionalConverters: { matches },
  };
  const keys = new Map<DtoClass, string>();
  const byName = new Map<string, DtoClass>();
  const renamed = new Map<string, string>();
  const schemas: Record<string, JsonSchema> = {};
  const queue = [...roots];
  for (let cls = queue.shift(); cls !== undefined; cls = queue.shift()) {
    if (keys.has(cls)) continue;
    const other = byName.get(cls.name);
    if (other !== undefined) throw appError('CAROM_ERR_ASYNCAPI_NAME_CLASH', cls.name);
    const key = COMPONENT_KEY.test(cls.name) ? cls.name : `dto${byName.size}`;
    byName.set(cls.name, cls);
    keys.set(cls, key);
    if (key !== cls.name) renamed.set(cls.name, key);
    const schema = converter.targetConstructorToSchema(cls, options);
    schema['type'] = 'object';
    markUnchecked(cls, schema);
    if (closed) schema['additionalProperties'] = false;
    schemas[key] = schema;
    queue.push(...nestedClasses(cls, types));
  }
  if (renamed.size > 0) rewriteRefs(schemas, renamed);
  return { keys, schemas };
}
