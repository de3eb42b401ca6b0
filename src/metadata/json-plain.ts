// Whether a value survives a JSON round trip unchanged: JSON.parse(JSON.stringify(value)) holds
// the same keys in the same order with the same values. The leader applies the commands it
// proposed as it built them, without parsing their bytes again (state-machine.ts encode), which is
// only sound for such values: its followers apply what parsing the bytes gives.

/**
 * True for strings, booleans, null, finite numbers other than -0, arrays without holes or extra
 * properties, and objects of the plain prototype, all holding values of the same kind. Not for
 * undefined (dropped, or null in an array), NaN and ±Infinity (null), -0 (0), class instances
 * (Date, Map…), or values nested deeper than `maxDepth`. An object's enumerable own properties are
 * the ones checked: non-enumerable ones and accessors, which only Object.defineProperty makes, are
 * not looked for (commands are object literals and parsed JSON; describing each property cost
 * ~0.4 µs per command).
 */
export function isJsonPlain(value: unknown, maxDepth = 8): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object":
      if (value === null) return true;
      if (maxDepth <= 0) return false;
      return Array.isArray(value) ? isPlainArray(value, maxDepth - 1) : isPlainObject(value as Record<string, unknown>, maxDepth - 1);
    default:
      return false;
  }
}

function isPlainArray(array: unknown[], maxDepth: number): boolean {
  if (Object.getPrototypeOf(array) !== Array.prototype || Object.getOwnPropertyNames(array).length !== array.length + 1) return false; // + "length"
  for (let i = 0; i < array.length; i++) if (!Object.hasOwn(array, i) || !isJsonPlain(array[i], maxDepth)) return false;
  return true;
}

function isPlainObject(object: Record<string, unknown>, maxDepth: number): boolean {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return false;
  // for-in lists inherited enumerable keys too: one (a polluted prototype) makes the value not plain.
  for (const key in object) if (!Object.hasOwn(object, key) || !isJsonPlain(object[key], maxDepth)) return false;
  return true;
}
