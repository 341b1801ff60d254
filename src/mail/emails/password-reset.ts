import { z } from 'zod';
import type { EmailModule } from './types.ts';

const payloadSchema = z.object({ token: z.string() });

/** Link to choose a new password, requested from the sign-in page; valid for one hour. */
export const passwordResetEmail: EmailModule = {
  kind: 'password-reset',
  secretPayloadKeys: ['token'],
  async build(email, { db, config, t }) {
    const payload = payloadSchema.parse(email.payload);
    const user = await db.user.findUniqueOrThrow({ where: { id: email.userId ?? -1 } });
    const link = `${config.BASE_URL}/password/reset?token=${encodeURIComponent(payload.token)}`;
    return {
      subject: t('emails.passwordReset.subject'),
      template: 'password-reset',
      data: { name: user.name, email: user.email, link },
    };
  },
};
