import { invitationEmail } from './invitation.ts';
import { ticketCreatedEmail } from './ticket-created.ts';
import type { EmailModule } from './types.ts';

const modules: EmailModule[] = [invitationEmail, ticketCreatedEmail];

export const emailModules = new Map(modules.map((module) => [module.kind, module]));
