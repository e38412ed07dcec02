/**
 * Marks the parameter that receives the payload. Its type, when a class, is the
 * DTO the payload is validated against; the decorator is also what makes
 * TypeScript record that type on a `handle` method.
 */
export function Payload(): ParameterDecorator {
  return () => undefined;
}
