/**
 * The object without its undefined-valued keys, so "not given" never reads as "given as
 * undefined". The type is unchanged: only optional keys can hold undefined, and those may be absent.
 */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
