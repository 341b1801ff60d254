-- CreateEnum
CREATE TYPE "PriorityLevel" AS ENUM ('LOW', 'MEDIUM', 'HIGH');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "TicketEventKind" ADD VALUE 'TAKEN';
ALTER TYPE "TicketEventKind" ADD VALUE 'INFORMATION_REQUESTED';
ALTER TYPE "TicketEventKind" ADD VALUE 'RESOLVED';
ALTER TYPE "TicketEventKind" ADD VALUE 'REOPENED';
ALTER TYPE "TicketEventKind" ADD VALUE 'CLOSED';
ALTER TYPE "TicketEventKind" ADD VALUE 'PRIORITY_CHANGED';

-- AlterTable
ALTER TABLE "tickets" ADD COLUMN     "impact" "PriorityLevel" NOT NULL DEFAULT 'MEDIUM',
ADD COLUMN     "priority" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "urgency" "PriorityLevel" NOT NULL DEFAULT 'MEDIUM';

-- CreateIndex
CREATE INDEX "tickets_status_resolved_at_idx" ON "tickets"("status", "resolved_at");
