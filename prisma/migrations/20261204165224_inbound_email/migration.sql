-- CreateEnum
CREATE TYPE "InboundSource" AS ENUM ('imap', 'smtp', 'pipe');

-- CreateEnum
CREATE TYPE "InboundStatus" AS ENUM ('RECEIVED', 'PROCESSED', 'IGNORED', 'QUARANTINED', 'DISCARDED');

-- CreateEnum
CREATE TYPE "InboundMatch" AS ENUM ('REPLY_ADDRESS', 'HEADERS', 'SUBJECT', 'NEW_TICKET');

-- AlterTable
ALTER TABLE "tickets" ADD COLUMN     "follow_up_of_id" INTEGER;

-- CreateTable
CREATE TABLE "inbound_messages" (
    "id" SERIAL NOT NULL,
    "message_key" TEXT NOT NULL,
    "raw" BYTEA NOT NULL,
    "source" "InboundSource" NOT NULL,
    "status" "InboundStatus" NOT NULL DEFAULT 'RECEIVED',
    "reason" TEXT,
    "matched_by" "InboundMatch",
    "sender" TEXT,
    "subject" TEXT,
    "ticket_id" INTEGER,
    "event_id" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),

    CONSTRAINT "inbound_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attachments" (
    "id" SERIAL NOT NULL,
    "ticket_id" INTEGER NOT NULL,
    "event_id" INTEGER,
    "file_name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attachments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "inbound_messages_message_key_key" ON "inbound_messages"("message_key");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_messages_event_id_key" ON "inbound_messages"("event_id");

-- CreateIndex
CREATE INDEX "inbound_messages_status_received_at_idx" ON "inbound_messages"("status", "received_at");

-- CreateIndex
CREATE INDEX "inbound_messages_sender_received_at_idx" ON "inbound_messages"("sender", "received_at");

-- CreateIndex
CREATE INDEX "attachments_ticket_id_idx" ON "attachments"("ticket_id");

-- CreateIndex
CREATE INDEX "attachments_event_id_idx" ON "attachments"("event_id");

-- AddForeignKey
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_follow_up_of_id_fkey" FOREIGN KEY ("follow_up_of_id") REFERENCES "tickets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "ticket_events"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "ticket_events"("id") ON DELETE SET NULL ON UPDATE CASCADE;
