/** Domain errors: typed, and ignorant of HTTP. shared/http/errors.ts maps them to statuses. */

/** One refused field and why (`message` without the field's name: a form shows it at the field). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * `field` names the first bad field and `message` says what is wrong, naming it; `fields` lists
 * every field found wrong (a form shows each at its input instead of one per save). Without
 * `fields`, `field` is the only one.
 */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly fields: readonly FieldProblem[];
  constructor(
    readonly field: string,
    message: string,
    fields?: readonly FieldProblem[],
  ) {
    super(message);
    this.fields = fields && fields.length > 0 ? fields : [{ field, message: message.replace(`${field}: `, '') }];
  }
}

export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}
