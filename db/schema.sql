-- The schema db/migrations.py builds, written by `python -m db.fresh`. Do not edit.
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE TABLE "numbers" (
   "e164" TEXT PRIMARY KEY,
   "region" TEXT,
   "country_code" INTEGER,
   "national" TEXT,
   "international" TEXT,
   "valid" INTEGER,
   "possible" INTEGER,
   "type" TEXT,
   "location" TEXT,
   "carrier" TEXT,
   "time_zones" TEXT,
   "first_seen_at" TEXT,
   "updated_at" TEXT
);
CREATE TABLE "findings" (
   "e164" TEXT,
   "source" TEXT,
   "status" TEXT,
   "fetched_at" TEXT,
   "expires_at" TEXT,
   "name" TEXT,
   "spam" REAL,
   "reports" INTEGER,
   "categories" TEXT,
   "last_reported" TEXT,
   "url" TEXT,
   "detail" TEXT,
   "excerpt" TEXT,
   "facts" TEXT,
   "failure_status" TEXT,
   "failure_detail" TEXT,
   "failure_at" TEXT, "evidence" TEXT,
   PRIMARY KEY ("e164", "source")
);
CREATE TABLE "lists" (
   "pattern" TEXT PRIMARY KEY,
   "kind" TEXT NOT NULL,
   "reason" TEXT,
   "added_at" TEXT NOT NULL,
   "origin" TEXT NOT NULL
);
CREATE INDEX "idx_lists_kind"
    ON "lists" ("kind");
CREATE TABLE "reports" (
   "id" INTEGER PRIMARY KEY,
   "e164" TEXT NOT NULL,
   "category" TEXT NOT NULL,
   "note" TEXT,
   "at" TEXT,
   "created_at" TEXT NOT NULL,
   "submitted_to" TEXT,
   "submission" TEXT
);
CREATE INDEX "idx_reports_e164"
    ON "reports" ("e164");
CREATE TABLE "complaints" (
   "id" TEXT PRIMARY KEY,
   "dataset" TEXT NOT NULL,
   "e164" TEXT,
   "created_at" TEXT,
   "violation_at" TEXT,
   "city" TEXT,
   "state" TEXT,
   "area_code" TEXT,
   "subject" TEXT,
   "robocall" INTEGER,
   "call_type" TEXT
);
CREATE INDEX "idx_complaints_e164_created_at"
    ON "complaints" ("e164", "created_at");
CREATE TABLE "calls" (
   "key" TEXT PRIMARY KEY,
   "e164" TEXT,
   "at" TEXT,
   "direction" TEXT,
   "status" TEXT,
   "duration" INTEGER,
   "name" TEXT,
   "raw_number" TEXT,
   "log_format" TEXT,
   "silent" INTEGER,
   "night" INTEGER,
   "contact" INTEGER,
   "imported_at" TEXT
, "ring_s" INTEGER);
CREATE INDEX "idx_calls_e164_at"
    ON "calls" ("e164", "at");
CREATE TABLE "comments" (
   "id" TEXT PRIMARY KEY,
   "e164" TEXT,
   "source" TEXT,
   "text" TEXT,
   "at" TEXT,
   "caller" TEXT,
   "call_type" TEXT,
   "url" TEXT,
   "fetched_at" TEXT
);
CREATE INDEX "idx_comments_e164_source"
    ON "comments" ("e164", "source");
CREATE TABLE "prefixes" (
   "prefix" TEXT,
   "source" TEXT,
   "status" TEXT,
   "facts" TEXT,
   "fetched_at" TEXT,
   "expires_at" TEXT,
   PRIMARY KEY ("prefix", "source")
);
CREATE TABLE "sync_state" (
   "dataset" TEXT PRIMARY KEY,
   "last_date" TEXT,
   "etag" TEXT,
   "last_modified" TEXT,
   "rows" INTEGER,
   "updated_at" TEXT,
   "detail" TEXT,
   "state" TEXT
);
CREATE TABLE "source_health" (
   "source" TEXT PRIMARY KEY,
   "last_success_at" TEXT,
   "last_failure_at" TEXT,
   "last_failure_status" TEXT,
   "last_failure" TEXT
);
CREATE INDEX idx_calls_silent ON calls (at) WHERE silent = 1;
CREATE TABLE "robots" (
   "origin" TEXT PRIMARY KEY,
   "body" TEXT NOT NULL,
   "fetched_at" TEXT NOT NULL
);
CREATE TABLE "listings" (
   "source" TEXT NOT NULL,
   "area" TEXT NOT NULL,
   "generation" INTEGER NOT NULL,
   "ref" TEXT NOT NULL,
   "e164" TEXT NOT NULL,
   "block" TEXT NOT NULL,
   "name" TEXT,
   "kind" TEXT,
   "address" TEXT,
   "website" TEXT,
   "opening_hours" TEXT,
   "lat" REAL,
   "lon" REAL
);
CREATE INDEX idx_listings_block ON listings (block);
CREATE INDEX idx_listings_area ON listings (source, area, generation);
CREATE TABLE "listing_areas" (
   "source" TEXT NOT NULL,
   "area" TEXT NOT NULL,
   "generation" INTEGER NOT NULL,
   "rows" INTEGER,
   "synced_at" TEXT NOT NULL,
   "detail" TEXT,
   PRIMARY KEY ("source", "area")
);
CREATE TABLE "name_blocks" (
   "pattern" TEXT PRIMARY KEY,
   "reason" TEXT,
   "added_at" TEXT NOT NULL,
   "origin" TEXT NOT NULL
);
CREATE TABLE "expectations" (
   "id" INTEGER PRIMARY KEY,
   "who" TEXT NOT NULL,
   "scope" TEXT NOT NULL,
   "pattern" TEXT NOT NULL,
   "until_at" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "done_at" TEXT
);
CREATE INDEX idx_expectations_open ON expectations (done_at, until_at);
CREATE TABLE "community_list" (
   "e164" TEXT PRIMARY KEY,
   "version" INTEGER NOT NULL
);
