import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import { countValues } from '../protocol/json-limits.js';
import type { UnknownProperties } from './options.js';

/** One property that failed validation, as sent in `details`. */
export interface PropertyFailure {
  /** Dotted path of the property (`address.city`, `items.0.name`). */
  readonly property: string;
  /** Failed constraint name to its message, as class-validator reports them. */
  readonly constraints: Record<string, string>;
}

/** A class whose instances class-validator checks. */
export type DtoClass = new (...args: any[]) => object;

function flatten(errors: ValidationError[], prefix: string, out: PropertyFailure[]): void {
  for (const e of errors) {
    const property = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push({ property, constraints: { ...e.constraints } });
    if (e.children && e.children.length > 0) flatten(e.children, property, out);
  }
}

/**
 * Turns a payload into an instance of its DTO with class-transformer and checks
 * it with class-validator. A failure becomes `VALIDATION_FAILED` with every
 * failed property in `details`.
 */
export class PayloadValidator {
  private readonly whitelist: boolean;
  private readonly forbidNonWhitelisted: boolean;

  /**
   * @param maxValues - values a payload may hold; class-transformer and
   *   class-validator walk every one, synchronously, so a larger payload is
   *   refused before they start rather than stalling every connection.
   */
  constructor(
    unknownProperties: UnknownProperties,
    private readonly maxValues: number,
  ) {
    this.whitelist = unknownProperties !== 'keep';
    this.forbidNonWhitelisted = unknownProperties === 'refuse';
  }

  /** Resolves to the validated instance, or rejects with a `VALIDATION_FAILED` CaromError. */
  async validate(dto: DtoClass, data: unknown): Promise<object> {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new CaromError(
        ErrorCode.VALIDATION_FAILED,
        `payload must be an object for ${dto.name}`,
        [{ property: '', constraints: { isObject: 'payload must be a JSON object' } }],
      );
    }
    if (countValues(data, this.maxValues) > this.maxValues) {
      throw new CaromError(
        ErrorCode.VALIDATION_FAILED,
        `payload holds more than ${this.maxValues} values; ${dto.name} is not validated`,
        [{ property: '', constraints: { maxValues: `at most ${this.maxValues} values` } }],
      );
    }
    const instance = plainToInstance(dto, data);
    const errors = await validate(instance, {
      whitelist: this.whitelist,
      forbidNonWhitelisted: this.forbidNonWhitelisted,
      forbidUnknownValues: true,
    });
    if (errors.length > 0) {
      const details: PropertyFailure[] = [];
      flatten(errors, '', details);
      const names = details.map((d) => d.property).join(', ');
      throw new CaromError(ErrorCode.VALIDATION_FAILED, `invalid payload: ${names}`, details);
    }
    return instance;
  }
}
