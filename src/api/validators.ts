// Schema validation of requests. Query strings and params arrive as text and are coerced
// (?wait=true, ?from=3); JSON bodies are not: "512" is not a number, 123 not a string.
import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function createAjv(coerceTypes: Options['coerceTypes']): Ajv {
  // verbose: each error carries the schema it failed, so a rule's x-error-message can be said.
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, verbose: true });
  addFormats(ajv);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv(false);
  const coercing = createAjv('array');
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    const id = (schema as { $id?: string }).$id;
    return (id && ajv.getSchema(id)) || ajv.compile(schema as object);
  };
}

/** The key by which a schema states, in plain words, the rule it checks (an OpenAPI extension). */
export const ERROR_MESSAGE = 'x-error-message';

/** A schema rule with the message a client gets when a value breaks it. */
export const rule = <T extends object>(schema: T, message: string) => ({ ...schema, [ERROR_MESSAGE]: message });

/**
 * What a client is told of a failed validation: the rule's own message where the schema
 * that failed states one (x-error-message), else Fastify's wording of the first error
 * ("body/files/0 must have required property 'content'").
 */
export function validationMessage(errors: readonly Partial<ErrorObject>[], dataVar: string): string {
  const stated = errors.find((error) => typeof (error.parentSchema as Record<string, unknown> | undefined)?.[ERROR_MESSAGE] === 'string');
  if (stated) return `${dataVar}: ${(stated.parentSchema as Record<string, string>)[ERROR_MESSAGE]}`;
  const first = errors[0];
  return first ? `${dataVar}${first.instancePath ?? ''} ${first.message ?? 'is not valid'}` : `${dataVar} is not valid`;
}

/**
 * Validates one JSON value against a body schema the way a route would (defaults filled
 * in, no coercion); returns the message a route would give, or undefined.
 */
export function createBodyValidator(schema: object, name = 'body'): (value: unknown) => string | undefined {
  const validate = createAjv(false).compile(schema);
  return (value) => (validate(value) ? undefined : validationMessage(validate.errors ?? [], name));
}
