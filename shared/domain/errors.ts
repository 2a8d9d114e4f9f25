/** Domain errors: typed, and ignorant of HTTP. shared/http/errors.ts maps them to statuses. */

export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
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
