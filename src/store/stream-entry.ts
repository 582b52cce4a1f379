// The fields of one Redis Stream entry as XREAD returns them (name, value, name, value...),
// by name: readers look fields up instead of trusting their positions.
export function entryFields(raw: readonly Buffer[]): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i].toString(), raw[i + 1]);
  return fields;
}
