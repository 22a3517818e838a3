/** A zod schema for a keyword from a fixed list (with optional aliases), with an error that lists the choices. Pure. */
import { z } from 'zod';

export function keyword<const T extends readonly string[]>(names: T, what: string, aliases: Record<string, T[number]> = {}) {
  return z.string({ error: `expected ${what} name (one of: ${names.join(', ')})` }).transform((s, ctx): T[number] => {
    const key = s.trim().toLowerCase();
    if ((names as readonly string[]).includes(key)) return key as T[number];
    if (key in aliases) return aliases[key];
    ctx.addIssue({ code: 'custom', message: `unknown ${what} '${s}' (expected one of: ${names.join(', ')})` });
    return z.NEVER;
  });
}
