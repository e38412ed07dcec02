import { plainToInstance } from 'class-transformer';
import { IsInt, IsString, Length, Min, validateSync } from 'class-validator';
import { MAX_SIZE_BYTES } from '../common.js';

/** The DTO of the `echo_dto` request, the same class in every contender. */
export class EchoDto {
  @IsInt()
  @Min(0)
  n!: number;

  @IsString()
  // Long enough for the largest `--sizes` request.
  @Length(1, MAX_SIZE_BYTES)
  text!: string;
}

/**
 * What carom does with a DTO, for the contenders that do it by hand: turn the
 * payload into an instance with class-transformer, check it with
 * class-validator (unknown properties stripped), and say what failed. The DTO
 * has no asynchronous rule, so the best hand-written server checks it with
 * `validateSync`, in the frame's own turn.
 */
export function validateEcho(data: unknown): EchoDto | string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return 'payload must be a JSON object';
  }
  const instance = plainToInstance(EchoDto, data);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) return `invalid payload: ${errors.map((e) => e.property).join(', ')}`;
  return instance;
}
