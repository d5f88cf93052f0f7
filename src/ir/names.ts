// Fresh value names for passes that add tensors to a graph: `base`, else `base_1`, `base_2`, … — the first
// that none of the given name sets holds.

/** Anything that answers whether a name is taken (a Map of types or initializers, a Set of names). */
export interface NameSet { has(name: string): boolean }

/** The first of `base`, `base_1`, `base_2`, … that no set in `taken` holds. */
export function freshName(base: string, ...taken: readonly NameSet[]): string {
  let name = base;
  for (let i = 1; taken.some((t) => t.has(name)); i++) name = `${base}_${i}`;
  return name;
}
