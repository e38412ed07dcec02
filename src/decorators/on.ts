import { appError } from '../core/errors.js';
import { isReserved } from '../protocol/names.js';
import { appendOwn, HANDLERS, type HandlerMetadata, type OnOptions } from '../core/metadata.js';

function checkEvent(event: string, where: string): void {
  if (typeof event !== 'string' || event.length === 0) {
    throw appError('CAROM_ERR_EMPTY_EVENT_NAME', '@On', where);
  }
  if (event.includes('*'))
    throw appError('CAROM_ERR_NOT_EXACT_NAME', `@On('${event}') on ${where}`, event);
  if (isReserved(event))
    throw appError('CAROM_ERR_RESERVED_NAME', `@On('${event}') on ${where}`, event);
}

/**
 * Handles a client event. On a class, the class's `handle(data, ctx)` method is
 * the handler (extend `Handler`). On a method of any class, that method is the
 * handler, so one controller class can handle several events. The return value
 * becomes the `ack`'s data when the client sent an `id`.
 */
export function On(event: string, options: OnOptions = {}) {
  return function (target: object, propertyKey?: string | symbol): void {
    if (propertyKey === undefined) {
      const cls = target as { name: string; prototype: object };
      checkEvent(event, cls.name);
      appendOwn<HandlerMetadata>(HANDLERS, cls.prototype, {
        event,
        method: 'handle',
        options,
        onClass: true,
      });
    } else {
      const where = `${(target.constructor as { name: string }).name}.${String(propertyKey)}`;
      checkEvent(event, where);
      appendOwn<HandlerMetadata>(HANDLERS, target, {
        event,
        method: propertyKey,
        options,
        onClass: false,
      });
    }
  } as ClassDecorator & MethodDecorator;
}
