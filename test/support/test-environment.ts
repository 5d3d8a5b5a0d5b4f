// Set in every test file's process before any module loads: statements are counted per request,
// apart from the services' background work (kit/database/query-counter.ts).
process.env.SQL_QUERY_COUNTING = "true";
