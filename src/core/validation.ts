import { plainToInstance } from 'class-transformer';
import {
  validate,
  validateSync,
  type ValidationError,
  type ValidatorOptions,
} from 'class-validator';
import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import { countValues } from '../protocol/json-limits.js';
import type { UnknownProperties } from './options.js';
import { validatesSynchronously } from './dto-sync.js';

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
  private readonly options: ValidatorOptions;
  private readonly synchronous = new Set<DtoClass>();

  /**
   * @param maxValues - values a payload may hold; class-transformer and
   *   class-validator walk every one, synchronously, so a larger payload is
   *   refused before they start rather than stalling every connection.
   */
  constructor(
    unknownProperties: UnknownProperties,
    private readonly maxValues: number,
  ) {
    this.options = {
      whitelist: unknownProperties !== 'keep',
      forbidNonWhitelisted: unknownProperties === 'refuse',
      forbidUnknownValues: true,
    };
  }

  /**
   * Decides once, when the app is built, whether `dto` is checked without
   * waiting (see `validatesSynchronously`); a DTO never prepared takes the
   * asynchronous path, which is always right.
   */
  prepare(dto: DtoClass): void {
    if (validatesSynchronously(dto)) this.synchronous.add(dto);
  }

  /** True when `dto` was prepared and nothing in it waits: use {@link validateNow}. */
  isSync(dto: DtoClass): boolean {
    return this.synchronous.has(dto);
  }

  /** Resolves to the validated instance, or rejects with a `VALIDATION_FAILED` CaromError. */
  async validate(dto: DtoClass, data: unknown): Promise<object> {
    const instance = this.instanceOf(dto, data);
    return this.checked(instance, await validate(instance, this.options));
  }

  /**
   * The same as {@link validate}, in the caller's turn: returns the instance or
   * throws. Only for a DTO that {@link isSync} says never waits: `validateSync`
   * skips asynchronous constraints.
   */
  validateNow(dto: DtoClass, data: unknown): object {
    const instance = this.instanceOf(dto, data);
    return this.checked(instance, validateSync(instance, this.options));
  }

  private instanceOf(dto: DtoClass, data: unknown): object {
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
    return plainToInstance(dto, data);
  }

  private checked(instance: object, errors: ValidationError[]): object {
    if (errors.length > 0) {
      const details: PropertyFailure[] = [];
      flatten(errors, '', details);
      const names = details.map((d) => d.property).join(', ');
      throw new CaromError(ErrorCode.VALIDATION_FAILED, `invalid payload: ${names}`, details);
    }
    return instance;
  }
}
