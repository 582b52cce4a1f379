// Schema validation of requests. Query strings and params arrive as text and are coerced
// (?wait=true, ?from=3); JSON bodies are not: "512" is not a number, 123 not a string.
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function createAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
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

/**
 * Validates one JSON value against a body schema the way a route would (defaults filled
 * in, no coercion); returns the first error in Fastify's wording, or undefined.
 */
export function createBodyValidator(schema: object, name = 'body'): (value: unknown) => string | undefined {
  const validate = createAjv(false).compile(schema);
  return (value) => {
    if (validate(value)) return undefined;
    const error = validate.errors?.[0];
    return error ? `${name}${error.instancePath.replaceAll('/', '.')} ${error.message}` : `${name} is not valid`;
  };
}
