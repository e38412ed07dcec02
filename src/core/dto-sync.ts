/**
 * Which DTOs class-validator can check without waiting. Decided once per DTO
 * class when the app is built, from class-validator's metadata storage; a
 * message never pays for the question.
 */
import { types } from 'node:util';
import * as classValidator from 'class-validator';
import { getMetadataStorage, ValidationTypes, type MetadataStorage } from 'class-validator';
import type { DtoClass } from './validation.js';

/** One entry of class-validator's storage, as far as it is read here. */
interface Rule {
  readonly type: string;
  readonly constraintCls: unknown;
}

/** Metadata that never waits for anything. */
const PLAIN_RULES = new Set<string>([
  ValidationTypes.IS_DEFINED,
  ValidationTypes.WHITELIST,
  ValidationTypes.CONDITIONAL_VALIDATION,
]);

/**
 * The names of class-validator's own decorators (`isString`, `matches`...),
 * which it exports as constants: their checks never return a promise.
 */
const BUILT_IN = new Set<unknown>(
  Object.values(classValidator).filter((v): v is string => typeof v === 'string'),
);

/**
 * A constraint may wait unless it is one of class-validator's own. An
 * application's constraint is taken to wait even when its `validate` looks
 * synchronous: one that returns a promise without saying so would be passed
 * by `validateSync` unread (failing open), and its rejection would go unhandled.
 */
function constraintWaits(storage: MetadataStorage, cls: unknown): boolean {
  if (typeof cls !== 'function') return true;
  for (const constraint of storage.getTargetValidatorConstraints(cls)) {
    if (constraint.async || !BUILT_IN.has(constraint.name)) return true;
    const proto = (constraint.target as { prototype?: { validate?: unknown } }).prototype;
    if (types.isAsyncFunction(proto?.validate)) return true;
  }
  return false;
}

/** Does this one rule wait? A kind of rule this file does not know is taken to. */
function ruleWaits(storage: MetadataStorage, rule: Rule, nestedWaits: () => boolean): boolean {
  if (rule.type === ValidationTypes.CUSTOM_VALIDATION) {
    return constraintWaits(storage, rule.constraintCls);
  }
  if (rule.type === ValidationTypes.NESTED_VALIDATION) return nestedWaits();
  return !PLAIN_RULES.has(rule.type);
}

/**
 * Does any class in the storage have a rule that waits? A nested value's class
 * is whatever class-transformer made of it (`@Type`, a discriminator, a
 * `@Transform`), which only a message shows; so a DTO with `@ValidateNested`
 * counts as synchronous only when no class anywhere could make it wait.
 * Storage of an unexpected shape answers yes: the asynchronous path is always right.
 */
function anyRuleWaits(storage: MetadataStorage): boolean {
  const all = (storage as unknown as { validationMetadatas?: unknown }).validationMetadatas;
  if (!(all instanceof Map)) return true;
  const never = (): boolean => false;
  for (const rules of all.values() as IterableIterator<unknown>) {
    if (!Array.isArray(rules)) return true;
    for (const rule of rules as Rule[]) {
      if (rule.type === ValidationTypes.NESTED_VALIDATION) continue;
      if (ruleWaits(storage, rule, never)) return true;
    }
  }
  return false;
}

/**
 * True when `validateSync` gives exactly what `validate` would for every
 * instance of `dto`: none of its rules, inherited ones and those of anything it
 * may nest included, waits for a promise (`@ValidatePromise`, an async
 * constraint). Every rule is read, whatever its groups.
 */
export function validatesSynchronously(dto: DtoClass): boolean {
  const storage = getMetadataStorage();
  const rules = storage.getTargetValidationMetadatas(dto, '', true, false);
  let nested: boolean | undefined;
  const nestedWaits = (): boolean => (nested ??= anyRuleWaits(storage));
  for (const rule of rules) {
    if (ruleWaits(storage, rule, nestedWaits)) return false;
  }
  return true;
}
