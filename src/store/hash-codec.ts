// A record kept as a Redis hash of plain fields, one per property of its TypeBox schema:
// a string as itself, a number in decimal, a boolean as `true`/`false`, null as the field
// being absent, and only objects and arrays as JSON. So Lua scripts and `redis-cli` see
// `status` = `queued`, not `"queued"`. What is read back is checked against the schema:
// a hash that does not decode to a valid record is an error here, never a bad value further on.
import { FormatRegistry, Kind, type TObject, type TSchema, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

type FieldKind = 'string' | 'number' | 'boolean' | 'json';

/** Thrown when a stored hash does not hold a valid record: written by something else, or by an incompatible version. */
export class StoredRecordError extends Error {
  override name = 'StoredRecordError';
}

/** The members of a union (one schema otherwise), without null. */
function nonNullMembers(schema: TSchema): TSchema[] {
  const members: TSchema[] = schema[Kind] === 'Union' ? (schema as TSchema & { anyOf: TSchema[] }).anyOf : [schema];
  return members.filter((member) => member[Kind] !== 'Null');
}

function kindOfMember(schema: TSchema): FieldKind {
  if (schema[Kind] === 'Literal') {
    const type = typeof (schema as TSchema & { const: unknown }).const;
    return type === 'string' || type === 'number' || type === 'boolean' ? type : 'json';
  }
  if (schema[Kind] === 'String') return 'string';
  if (schema[Kind] === 'Integer' || schema[Kind] === 'Number') return 'number';
  if (schema[Kind] === 'Boolean') return 'boolean';
  return 'json';
}

/** How a property is stored: plain when every non-null member of its type is of one plain kind, else JSON. */
export function fieldKind(schema: TSchema): FieldKind {
  const kinds = new Set(nonNullMembers(schema).map(kindOfMember));
  return kinds.size === 1 ? [...kinds][0] : 'json';
}

const isNullable = (schema: TSchema) =>
  schema[Kind] === 'Null' ||
  (schema[Kind] === 'Union' && nonNullMembers(schema).length < (schema as TSchema & { anyOf: TSchema[] }).anyOf.length);

export interface HashCodec<T extends TObject> {
  /** Every property name of the schema. */
  readonly fields: readonly string[];
  /** The fields to write: nulls and undefined left out (null is an absent field). */
  encode(value: Partial<Static<T>>): Record<string, string>;
  /** One value as stored (for a Lua argument). */
  encodeValue(field: keyof Static<T> & string, value: unknown): string;
  /** One field as stored, decoded and checked against its property's schema. */
  decodeField<K extends keyof Static<T> & string>(field: K, text: string): Static<T>[K];
  /** The record from its hash, checked; undefined for an empty hash (no such record). Fields not in the schema are ignored. */
  decode(hash: Record<string, string>): Static<T> | undefined;
}

/** TypeBox checks formats only once told what they mean: the record's timestamps are ISO 8601 date-times. */
function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set(
      'date-time',
      (text) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) && !Number.isNaN(Date.parse(text)),
    );
  }
}

export function createHashCodec<T extends TObject>(schema: T): HashCodec<T> {
  registerFormats();
  const properties = schema.properties as Record<string, TSchema>;
  const kinds = new Map(Object.entries(properties).map(([field, property]) => [field, fieldKind(property)]));
  const nullable = new Set(Object.entries(properties).flatMap(([field, property]) => (isNullable(property) ? [field] : [])));
  const check = TypeCompiler.Compile(schema);
  const fieldChecks = new Map<string, ReturnType<typeof TypeCompiler.Compile>>();

  function encodeValue(field: string, value: unknown): string {
    const kind = kinds.get(field);
    if (kind === undefined) throw new Error(`${field} is not a field of ${schema.$id ?? 'this record'}`);
    if (kind === 'json') return JSON.stringify(value);
    if (kind === 'string') return value as string;
    return String(value);
  }

  function decodeValue(field: string, text: string): unknown {
    switch (kinds.get(field)) {
      case 'string':
        return text;
      case 'number':
        return text === '' ? Number.NaN : Number(text);
      case 'boolean':
        return text === 'true' ? true : text === 'false' ? false : text;
      default:
        try {
          return JSON.parse(text);
        } catch {
          throw new StoredRecordError(`stored field ${field} is not JSON`);
        }
    }
  }

  return {
    fields: [...kinds.keys()],
    encode(value) {
      const hash: Record<string, string> = {};
      for (const [field, item] of Object.entries(value)) if (item !== undefined && item !== null) hash[field] = encodeValue(field, item);
      return hash;
    },
    encodeValue,
    decodeField(field, text) {
      let fieldCheck = fieldChecks.get(field);
      if (!fieldCheck) fieldChecks.set(field, (fieldCheck = TypeCompiler.Compile(properties[field])));
      const value = decodeValue(field, text);
      if (!fieldCheck.Check(value)) throw new StoredRecordError(`stored field ${field} does not match its schema`);
      return value as Static<T>[typeof field];
    },
    decode(hash) {
      if (Object.keys(hash).length === 0) return undefined;
      const value: Record<string, unknown> = {};
      for (const field of kinds.keys()) {
        const text = hash[field];
        if (text !== undefined) value[field] = decodeValue(field, text);
        else if (nullable.has(field)) value[field] = null;
      }
      if (!check.Check(value)) {
        const first = check.Errors(value).First();
        throw new StoredRecordError(
          `stored record does not match ${schema.$id ?? 'its schema'}: ${first?.path || '/'} ${first?.message ?? ''}`.trim(),
        );
      }
      return value as Static<T>;
    },
  };
}
