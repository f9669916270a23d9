import { createHash } from 'node:crypto';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import { ChatPayError, isChatPayError } from '../../shared/errors.ts';
import { kycKinds, kycLevels, kycMaxBytesDefault, kycStatuses } from '../../users/index.ts';
import type { ApiServices } from '../context.ts';
import { userIdOf } from '../plugins/auth.ts';
import { errors, Timestamp } from '../schemas.ts';

export const KycDocumentFields = {
  id: Type.String({ description: 'A document id, `kyc_…`.' }),
  object: Type.Literal('kyc_document'),
  kind: Type.Union(kycKinds.map((k) => Type.Literal(k))),
  level: Type.Union([Type.Literal('basic'), Type.Literal('full')], {
    description: 'The level this document is for.',
  }),
  status: Type.Union(kycStatuses.map((s) => Type.Literal(s))),
  content_type: Type.Union(
    [Type.Literal('image/jpeg'), Type.Literal('image/png'), Type.Literal('application/pdf')],
    { description: 'Detected from the file’s content.' },
  ),
  size_bytes: Type.Integer(),
  created_at: Timestamp,
  decided_at: Type.Union([Timestamp, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], {
    description: 'Why it was rejected, or a reviewer’s note.',
  }),
};
export const KycDocumentSchema = Type.Object(KycDocumentFields);
export const KycLevelSchema = Type.Union(kycLevels.map((l) => Type.Literal(l)));

// The bytes of each request's file, read (within the size limit) while the multipart body is
// parsed. The body itself carries only the file's digest, so schema validation sees a string and
// an Idempotency-Key's body hash covers the file: the same key with another file is refused.
const uploads = new WeakMap<FastifyRequest, Buffer>();

async function onFile(this: FastifyRequest, part: MultipartFile): Promise<void> {
  const bytes = await part.toBuffer(); // throws FST_REQ_FILE_TOO_LARGE past limits.fileSize
  uploads.set(this, bytes);
  part.value = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The multipart parser's own failures, as catalogue errors (anything else passes through). */
function multipartError(error: FastifyError, maxBytes: number): ChatPayError | undefined {
  const invalid = (message: string) => new ChatPayError('kyc_upload_invalid', { param: 'file', message });
  switch (error.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ChatPayError('kyc_file_too_large', {
        param: 'file',
        message: `The file is larger than ${maxBytes} bytes.`,
      });
    case 'FST_FILES_LIMIT':
      return invalid('Send exactly one file.');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return invalid('Send only the fields kind, level and file.');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
    case 'FST_MP_PREMATURE_CLOSE':
      return invalid('The multipart body is malformed.');
  }
  // busboy's own parse errors carry no code.
  if (
    !error.code &&
    !error.validation &&
    /multipart|boundary|part header|terminated early/i.test(error.message)
  ) {
    return invalid('The multipart body is malformed.');
  }
  return undefined;
}

/**
 * A user's KYC documents: `POST /v1/me/kyc` (multipart) and `GET /v1/me/kyc`. The multipart parser
 * is registered here only, so no other route takes multipart bodies.
 */
export const kycRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    // Route registration runs without services when only the OpenAPI document is built.
    const maxBytes = services.kyc?.maxBytes ?? kycMaxBytesDefault;
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      onFile,
      // Busboy enforces these while the body streams in: a larger file is cut off, never held whole.
      limits: {
        fileSize: maxBytes,
        files: 1,
        fields: 2,
        parts: 3,
        fieldSize: 64,
        fieldNameSize: 32,
        headerPairs: 20,
      },
    });
    // Throwing hands the mapped error to the app's handler, which writes the one error envelope.
    app.setErrorHandler((error: FastifyError, request) => {
      if (isChatPayError(error) || !request.isMultipart()) throw error;
      throw multipartError(error, maxBytes) ?? error;
    });

    app.post(
      '/v1/me/kyc',
      {
        config: { access: 'user' },
        schema: {
          tags: ['kyc'],
          summary: 'Send a KYC document (multipart/form-data)',
          description:
            'Fields `kind`, `level` and one `file`: a JPEG, PNG or PDF (judged by its content, not its name or declared type) of at most `KYC_MAX_BYTES` (5 MiB by default). It waits for an operator’s review; an approval raises your level. With an Idempotency-Key, a retry with the same file gets the first answer.',
          consumes: ['multipart/form-data'],
          body: Type.Object(
            {
              kind: KycDocumentFields.kind,
              level: KycDocumentFields.level,
              // Validation sees the file's digest (see onFile); the schema documents the binary part.
              file: Type.String({
                contentMediaType: 'application/octet-stream',
                description: 'The document itself: JPEG, PNG or PDF.',
              }),
            },
            { additionalProperties: false },
          ),
          response: { 201: KycDocumentSchema, ...errors(400, 401, 409, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const bytes = uploads.get(request);
        if (!bytes) {
          throw new ChatPayError('kyc_upload_invalid', {
            param: 'file',
            message: 'Send the document as a file part of a multipart/form-data body.',
          });
        }
        const { kind, level } = request.body;
        const document = await services.kyc.submit(userIdOf(request), { kind, level, bytes });
        request.audit = {
          object: document.id,
          after: { kind, level, content_type: document.content_type, size_bytes: document.size_bytes },
        };
        return reply.code(201).send(document);
      },
    );

    app.get(
      '/v1/me/kyc',
      {
        config: { access: 'user' },
        schema: {
          tags: ['kyc'],
          summary: 'Your KYC level and your latest documents (newest first)',
          response: {
            200: Type.Object({ level: KycLevelSchema, documents: Type.Array(KycDocumentSchema) }),
            ...errors(401, 429),
          },
        },
      },
      async (request) => services.kyc.forUser(userIdOf(request)),
    );
  };
