/**
 * Errors that services throw and the web layer turns into pages. `messageKey` is a locale key
 * shown to the user; `message` is for logs.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly messageKey: string,
    message = messageKey,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'errors.notFound', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Forbidden') {
    super(403, 'errors.forbidden', message);
  }
}

export class BadRequestError extends AppError {
  constructor(messageKey = 'errors.badRequest', message = 'Bad request') {
    super(400, messageKey, message);
  }
}

/** Invalid form input found by a service; `fields` maps a field name to a locale key. */
export class InvalidInputError extends AppError {
  constructor(readonly fields: Record<string, string>) {
    super(422, 'errors.invalidInput', `Invalid input: ${Object.keys(fields).join(', ')}`);
  }
}
