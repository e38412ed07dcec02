/**
 * A DTO-validated handler and its unvalidated twin, for the tests of
 * `maxValidatedValues` (through the testing kit and over real sockets).
 */
import { IsArray, IsString } from 'class-validator';
import { Handler, On, Payload } from '../../src/index.js';

export class ListDto {
  @IsString()
  name!: string;

  @IsArray()
  items!: unknown[];
}

/** `list`: validated against {@link ListDto}; answers how many items it got. */
@On('list')
export class ListHandler extends Handler<ListDto> {
  calls = 0;
  handle(@Payload() data: ListDto): number {
    this.calls++;
    return data.items.length;
  }
}

/** `raw.list`: the same, unvalidated, to measure what decoding alone costs. */
@On('raw.list', { dto: false })
export class RawListHandler extends Handler {
  handle(data: { items: unknown[] }): number {
    return data.items.length;
  }
}
