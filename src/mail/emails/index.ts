import { invitationEmail } from './invitation.ts';
import { passwordResetEmail } from './password-reset.ts';
import { ticketAssignedEmail } from './ticket-assigned.ts';
import { ticketCreatedEmail } from './ticket-created.ts';
import { ticketInformationRequestedEmail } from './ticket-information-requested.ts';
import { ticketReplyEmail } from './ticket-reply.ts';
import { ticketRequesterReplyEmail } from './ticket-requester-reply.ts';
import { ticketResolvedEmail } from './ticket-resolved.ts';
import { ticketTakenEmail } from './ticket-taken.ts';
import type { EmailModule } from './types.ts';

const modules: EmailModule[] = [
  invitationEmail,
  passwordResetEmail,
  ticketCreatedEmail,
  ticketTakenEmail,
  ticketAssignedEmail,
  ticketInformationRequestedEmail,
  ticketReplyEmail,
  ticketRequesterReplyEmail,
  ticketResolvedEmail,
];

export const emailModules = new Map(modules.map((module) => [module.kind, module]));
