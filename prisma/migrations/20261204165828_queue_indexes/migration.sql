CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "tickets_status_updated_at_id_idx" ON "tickets"("status", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "tickets_status_created_at_id_idx" ON "tickets"("status", "created_at", "id");

-- CreateIndex
CREATE INDEX "tickets_assignee_id_status_updated_at_id_idx" ON "tickets"("assignee_id", "status", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "tickets_category_id_status_updated_at_id_idx" ON "tickets"("category_id", "status", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "tickets_title_idx" ON "tickets" USING GIN ("title" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "tickets_description_idx" ON "tickets" USING GIN ("description" gin_trgm_ops);
