// Grouping into a Map of lists, which the planner and the status do for every container,
// replica and drift entry of a plan.

/** Appends `value` to the list under `key`, starting the list when there is none. */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
