import { z } from 'zod';
import type { EmailModule } from './types.ts';

const payloadSchema = z.object({ token: z.string(), inviterName: z.string().nullable() });

/** Invitation to set a first password; the link stays valid for 7 days. */
export const invitationEmail: EmailModule = {
  kind: 'invitation',
  secretPayloadKeys: ['token'],
  async build(email, { db, config, t }) {
    const payload = payloadSchema.parse(email.payload);
    const user = await db.user.findUniqueOrThrow({ where: { id: email.userId ?? -1 } });
    const link = `${config.BASE_URL}/password/reset?token=${encodeURIComponent(payload.token)}`;
    return {
      subject: t('emails.invitation.subject'),
      template: 'invitation',
      data: { name: user.name, email: user.email, link, inviterName: payload.inviterName },
    };
  },
};
