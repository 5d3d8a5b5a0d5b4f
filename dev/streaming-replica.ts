import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  chown,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { assertPortFree } from "#kit/http/ports";
import { embeddedPostgresFlags } from "./embedded-postgres";

/**
 * What a primary needs to be streamed from (pass as `settings` to `startEmbeddedPostgres`):
 * replica-level WAL, WAL senders and slots for the standbys.
 */
export const REPLICATION_PRIMARY_SETTINGS: Record<string, string> = {
  wal_level: "replica",
  max_wal_senders: "5",
  max_replication_slots: "5",
};

export interface StreamingReplicaOptions {
  /** The primary, as a superuser: `postgres://postgres:...@127.0.0.1:<port>/postgres`. */
  primaryUrl: string;
  /** The primary's data folder (its `pg_hba.conf` gets the replication user's line). */
  primaryDataDir: string;
  /** Where the standby's copy goes; must not exist yet. */
  dataDir: string;
  /** TCP port of the standby on 127.0.0.1. */
  port: number;
  /** Server settings of the standby on top of the embedded defaults. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

/** A running hot standby streaming from its primary. */
export interface StreamingReplica {
  /** `postgres://postgres:...@127.0.0.1:<port>/postgres` (read-only). */
  url: string;
  /** The standby's `application_name` on the primary (`pg_stat_replication`). */
  name: string;
  /** Stops the standby (a fast shutdown) and drops its replication slot on the primary. */
  stop(): Promise<void>;
}

/** The replication role made on the primary. */
const REPLICATION_USER = "replicator";

/**
 * Entries of a data folder a base backup leaves out (PostgreSQL's "Making a Base Backup Using the
 * Low Level API"): the running server's files, and the contents of folders the standby rebuilds.
 */
const SKIPPED_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "backup_label.old",
  "tablespace_map",
  "postgresql.auto.conf.tmp",
  "standby.signal",
  "recovery.signal",
]);
const EMPTIED_FOLDERS = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_stat_tmp",
  "pg_subtrans",
]);

/**
 * Starts a hot standby of a running primary with the embedded binaries alone (they ship `initdb`,
 * `pg_ctl` and `postgres`, no `pg_basebackup`): makes a replication role and its `pg_hba.conf`
 * line on the primary, a physical replication slot (so the WAL from the backup on is kept), takes
 * a non-exclusive base backup (`pg_backup_start`, a copy of the data folder, `pg_backup_stop`,
 * whose backup label and tablespace map go into the copy), adds `standby.signal` and
 * `primary_conninfo`, and starts the copy on `port` until it accepts read-only connections. The
 * primary must run with {@link REPLICATION_PRIMARY_SETTINGS}. As root, the copy belongs to the
 * `postgres` system user and the standby runs as it, like the embedded primary.
 */
export async function startStreamingReplica(
  options: StreamingReplicaOptions,
): Promise<StreamingReplica> {
  await assertPortFree(options.port, "PostgreSQL standby");
  if (existsSync(options.dataDir))
    throw new Error(`The standby's data folder ${options.dataDir} exists already.`);
  const name = `standby_${options.port}`;
  const password = randomBytes(12).toString("hex");
  const primary = new URL(options.primaryUrl);
  const owner = os.userInfo().uid === 0 ? postgresSystemUser() : null;

  const client = new Client({ connectionString: options.primaryUrl });
  await client.connect();
  try {
    await client.query(
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${REPLICATION_USER}') THEN
           CREATE ROLE ${REPLICATION_USER} WITH REPLICATION LOGIN;
         END IF;
       END $$`,
    );
    await client.query(`ALTER ROLE ${REPLICATION_USER} PASSWORD '${password}'`);
    await allowReplication(options.primaryDataDir);
    await client.query("SELECT pg_reload_conf()");
    // Settings a hot standby must have at least as large as its primary.
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])`,
      [
        [
          "max_connections",
          "max_worker_processes",
          "max_wal_senders",
          "max_prepared_transactions",
          "max_locks_per_transaction",
        ],
      ],
    );
    const inherited = Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    // Reserved now, so the WAL from the start of the backup on stays until the standby has it.
    await client.query("SELECT pg_create_physical_replication_slot($1, true)", [name]);
    await client.query("SELECT pg_backup_start($1, true)", [name]);
    let stopped = false;
    try {
      await copyDataFolder(options.primaryDataDir, options.dataDir, owner);
      const [backup] = (
        await client.query<{ labelfile: string; spcmapfile: string | null }>(
          "SELECT labelfile, spcmapfile FROM pg_backup_stop(wait_for_archive => false)",
        )
      ).rows;
      stopped = true;
      await writeOwned(path.join(options.dataDir, "backup_label"), backup.labelfile, owner);
      if (backup.spcmapfile)
        await writeOwned(path.join(options.dataDir, "tablespace_map"), backup.spcmapfile, owner);
    } finally {
      if (!stopped)
        await client.query("SELECT pg_backup_stop(wait_for_archive => false)").catch(() => {});
    }
    await writeOwned(path.join(options.dataDir, "standby.signal"), "", owner);
    const conninfo = `host=${primary.hostname} port=${primary.port} user=${REPLICATION_USER} password=${password} application_name=${name}`;
    const autoConf = path.join(options.dataDir, "postgresql.auto.conf");
    await writeOwned(
      autoConf,
      `${await readFile(autoConf, "utf8").catch(() => "")}\nprimary_conninfo = '${conninfo}'\nprimary_slot_name = '${name}'\nhot_standby = on\n`,
      owner,
    );
    const server = await runStandby(options, { ...inherited, ...options.settings }, owner);
    return {
      url: `postgres://${decodeURIComponent(primary.username)}:${decodeURIComponent(primary.password)}@127.0.0.1:${options.port}/postgres`,
      name,
      stop: async () => {
        await server.stop();
        await dropSlot(options.primaryUrl, name);
      },
    };
  } catch (error) {
    await dropSlot(options.primaryUrl, name);
    throw error;
  } finally {
    await client.end();
  }
}

/** Puts the replication role's line first in the primary's pg_hba.conf (first match wins). */
async function allowReplication(primaryDataDir: string): Promise<void> {
  const file = path.join(primaryDataDir, "pg_hba.conf");
  const line = `host replication ${REPLICATION_USER} 127.0.0.1/32 scram-sha-256`;
  const text = await readFile(file, "utf8");
  if (!text.split("\n").includes(line)) await writeFile(file, `${line}\n${text}`);
}

/** Copies a data folder but what a base backup leaves out; files and folders get `owner`. */
async function copyDataFolder(
  from: string,
  to: string,
  owner: { uid: number; gid: number } | null,
  top = true,
): Promise<void> {
  await mkdir(to, { mode: 0o700 });
  if (owner) await chown(to, owner.uid, owner.gid);
  await chmod(to, 0o700);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (top && SKIPPED_FILES.has(entry.name)) continue;
    if (entry.name.startsWith("pgsql_tmp")) continue;
    if (entry.isDirectory()) {
      if (top && EMPTIED_FOLDERS.has(entry.name)) {
        await mkdir(target, { mode: 0o700 });
        if (owner) await chown(target, owner.uid, owner.gid);
        if (entry.name === "pg_wal")
          for (const sub of ["archive_status", "summaries"]) {
            await mkdir(path.join(target, sub), { mode: 0o700 });
            if (owner) await chown(path.join(target, sub), owner.uid, owner.gid);
          }
        continue;
      }
      await copyDataFolder(source, target, owner, false);
    } else if (entry.isFile()) {
      try {
        await copyFile(source, target);
      } catch (error) {
        // A file the running server removed meanwhile (the WAL replay recreates what matters).
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const { mode } = await lstat(source);
      await chmod(target, mode & 0o777);
      if (owner) await chown(target, owner.uid, owner.gid);
    }
  }
}

async function writeOwned(
  file: string,
  text: string,
  owner: { uid: number; gid: number } | null,
): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  if (owner) await chown(file, owner.uid, owner.gid);
}

/** The `postgres` system user that runs the embedded servers under root. */
function postgresSystemUser(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** The `postgres` binary of the embedded-postgres platform package. */
async function postgresBinary(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}` as string)) as {
    postgres?: string;
    default?: { postgres: string };
  };
  return binaries.postgres ?? binaries.default!.postgres;
}

/** Runs `postgres -D <copy>` and resolves once it accepts read-only connections. */
async function runStandby(
  options: StreamingReplicaOptions,
  settings: Record<string, string>,
  owner: { uid: number; gid: number } | null,
): Promise<{ stop(): Promise<void> }> {
  const child = spawn(
    await postgresBinary(),
    ["-D", options.dataDir, "-p", String(options.port), ...embeddedPostgresFlags(settings)],
    { ...(owner ?? {}), stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("The standby did not accept read-only connections within 60 s."));
    }, 60_000);
    let output = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      for (const line of text.split("\n")) if (line.trim()) options.onLog?.(line);
      output = (output + text).slice(-4000);
      if (output.includes("ready to accept read-only connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The standby exited (code ${code}) before it was ready: ${output}`));
    });
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT");
      await exited;
    },
  };
}

/** Drops the standby's slot, once its WAL sender has let go of it (within 5 s). */
async function dropSlot(primaryUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: primaryUrl });
  try {
    await client.connect();
    for (let waited = 0; waited < 5_000; waited += 100) {
      const { rows } = await client.query<{ active: boolean }>(
        "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
        [name],
      );
      if (rows.length === 0) return;
      if (!rows[0].active) {
        await client.query("SELECT pg_drop_replication_slot($1)", [name]);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch {
    // The primary is gone already: so is the slot's purpose.
  } finally {
    await client.end().catch(() => {});
  }
}
