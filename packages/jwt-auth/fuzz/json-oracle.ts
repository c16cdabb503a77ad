// An oracle for strict JSON, independent of the parser under test: JSON.parse plus the two things it cannot see.

/**
 * True when a JSON text that JSON.parse accepts repeats a member name (compared after unescaping) inside one
 * object. JSON.parse silently keeps the last one, so the parsed value cannot tell.
 */
export function hasDuplicateMembers(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectName && top) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(name)) return true;
        top.add(name);
      }
      expectName = false;
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectName = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectName = stack[stack.length - 1] instanceof Set;
    }
  }
  return false;
}

/** Nesting depth of a parsed JSON value: 0 for a scalar, 1 for `{}` or `[]`. Iterative, so any depth is fine. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) {
      max = Math.max(max, depth);
      continue;
    }
    max = Math.max(max, depth + 1);
    for (const member of Object.values(current)) stack.push([member, depth + 1]);
  }
  return max;
}

/** Structural equality of two JSON values, with `Object.is` for numbers (so -0 and 0 differ) and member order kept. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length || keysA.some((key, i) => key !== keysB[i])) return false;
  return keysA.every((key) => sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
