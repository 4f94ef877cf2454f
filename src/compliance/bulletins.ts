import { createHash, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { regulationSchema, type Locale, type Regulation } from '../../config/regulation';
import { canonicalJson, GENESIS_HASH } from '../custody/chain';
import { appendCustody } from '../custody/log';
import { inTransaction, pgCode, PgCode, type Db, type Pool } from '../db/pool';
import { conflict, notFound, unprocessable } from '../errors';
import { bulletinContent, recordingsInFindings, summaryOf, type BulletinContent, type BulletinItem, type BulletinSpotCheck, type PreviousBulletin } from './bulletin-content';
import { bulletinPdf } from './bulletin-pdf';
import { countDraws } from './spot-checks';

// Inspection bulletins (通报, REGULATION.md): issued from a complete spot check, never changed (the table
// refuses UPDATE, DELETE and TRUNCATE); a correction is a new version with the same number that names the
// bulletin it replaces. What a bulletin says is computed once at issue and stored as `content`, with the
// PDF made from it; HTML and CSV are rendered from the content when asked for.
//
// The custody head a bulletin prints is the log's last event when its content is computed, before the
// bulletin's own `bulletin_issue` event. That event, appended in the same transaction, records the head it
// printed and the SHA-256 of the content (canonical JSON) and of the PDF: the log anchors the bulletin and
// the bulletin anchors the log. The head is read, not verified (GET /api/custody/verify walks the chain).

// Issuing is serialized (numbers are "the next of the year"); custody appends take their own lock after it.
const BULLETIN_LOCK = 7_316_460;
const DEFAULT_ZONE = 'Asia/Shanghai';

export interface IssueRequest {
  spotCheckId: string;
  /** e.g. 〔2026〕第 3 期; the next of the issue year when absent (a correction keeps its original's). */
  number?: string;
  /** zh-CN by default; a correction defaults to its original's language. */
  locale?: Locale;
  /** The bulletin this one corrects: one of the same spot check, not already replaced. */
  replaces?: string;
}

export interface IssueOptions {
  /** The bureau's zone (BUREAU_TZ): the issue year and date, the deadline. */
  zone?: string;
  /** Used only when the spot check's stored regulation cannot be read as one. */
  fallbackRegulation?: Regulation;
  now?: Date;
}

export interface IssuedBulletin {
  id: string;
  number: string;
  version: number;
  locale: Locale;
  replaces: string | null;
  issuedAt: string;
  custodyHead: string;
}

export interface Bulletin {
  id: string;
  spotCheckId: string;
  number: string;
  version: number;
  replaces: string | null;
  /** The newer version that corrects this one, if any. */
  replacedBy: string | null;
  locale: Locale;
  issuedBy: string;
  issuedAt: Date;
  custodyHead: string;
  content: BulletinContent;
  pdf: Buffer;
  /** The spot check's scope (null: every unit), for authorization. */
  unitCodes: string[] | null;
}

interface SpotCheckRow extends BulletinSpotCheck {
  regulation: unknown;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The scope and state of a spot check, or null when there is none (for authorization before issuing). */
export async function spotCheckScope(db: Db, id: string): Promise<{ unitCodes: string[] | null; status: string } | null> {
  const { rows } = await db.query<{ unitCodes: string[] | null; status: string }>('SELECT unit_codes AS "unitCodes", status FROM spot_checks WHERE id = $1', [id]);
  return rows[0] ?? null;
}

const NUMBER = /^〔(\d{4})〕第\s*(\d+)\s*期$/;

/** A number in the bureau's form is written one way (`〔2026〕第 3 期`); any other text is kept as given. */
function canonicalNumber(number: string): string {
  const m = NUMBER.exec(number.trim());
  return m ? `〔${m[1]}〕第 ${Number(m[2])} 期` : number.trim();
}

/** The next number of the year: one more than the highest 〔YYYY〕第 N 期 issued so far. */
async function nextNumber(db: Db, year: number): Promise<string> {
  const { rows } = await db.query<{ number: string }>('SELECT DISTINCT number FROM bulletins WHERE number LIKE $1', [`〔${year}〕%`]);
  const highest = rows.reduce((max, r) => {
    const m = NUMBER.exec(r.number);
    return m ? Math.max(max, Number(m[2])) : max;
  }, 0);
  return `〔${year}〕第 ${highest + 1} 期`;
}

/**
 * What earlier bulletins said, for the change and the trend: the current version (not replaced) of one
 * bulletin per spot check, for checks of the same scope whose period starts before this one's, newest first.
 */
async function previousBulletins(db: Db, check: BulletinSpotCheck, limit: number): Promise<PreviousBulletin[]> {
  const scope = check.unitCodes === null || check.unitCodes.length === 0 ? null : [...check.unitCodes].sort();
  const { rows } = await db.query<{ id: string; content: BulletinContent; periodFrom: string }>(
    `SELECT * FROM (
       SELECT DISTINCT ON (s.id) b.id, b.content, s.period_from::text AS "periodFrom", b.issued_at
         FROM bulletins b JOIN spot_checks s ON s.id = b.spot_check_id
        WHERE s.id <> $1 AND s.period_from < $2::date
          AND NOT EXISTS (SELECT 1 FROM bulletins n WHERE n.replaces = b.id)
          AND (SELECT array_agg(u ORDER BY u) FROM unnest(s.unit_codes) u) IS NOT DISTINCT FROM $3::text[]
        ORDER BY s.id, b.issued_at DESC
     ) p
     ORDER BY "periodFrom" DESC, issued_at DESC
     LIMIT $4`,
    [check.id, check.periodFrom, scope, limit],
  );
  return rows.filter((r) => r.content?.schema === 1).map((r) => summaryOf(r.id, r.content));
}

/**
 * Issues a bulletin for a complete spot check: 404 without the check, 409 while it is open or abandoned,
 * 422 for an unknown `replaces`, 409 when that one belongs to another check or was already replaced, 409 for
 * a number already taken. One transaction: the bulletin row and its custody event.
 */
export async function issueBulletin(pool: Pool, req: IssueRequest, actor: string, options: IssueOptions = {}): Promise<IssuedBulletin> {
  const zone = options.zone ?? DEFAULT_ZONE;
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [BULLETIN_LOCK]);
    const { rows: checks } = await client.query<SpotCheckRow>(
      `SELECT id, period_from::text AS "periodFrom", period_to::text AS "periodTo", unit_codes AS "unitCodes", sample_mode AS "sampleMode",
              sample_value::text AS "sampleValue", seed, regulation_version AS "regulationVersion", regulation, status
         FROM spot_checks WHERE id = $1`,
      [req.spotCheckId],
    );
    const row = checks[0];
    if (!row) throw notFound(`spot check ${req.spotCheckId}`);
    const { regulation: snapshot, ...check } = row;
    if (check.status !== 'complete') {
      throw conflict('spot_check_not_complete', `spot check ${check.id} is ${check.status}: a bulletin is issued from a complete one`);
    }
    const { rows: items } = await client.query<BulletinItem>(
      `SELECT position, case_no AS "caseNo", activity_key AS "activityKey", activity_type AS "activityType", unit_code AS "unitCode",
              badge_nos AS "badgeNos", inspector, findings, verdicts, note, result
         FROM spot_check_items WHERE spot_check_id = $1 ORDER BY position`,
      [check.id],
    );
    if (items.some((i) => i.result === 'pending')) {
      throw conflict('spot_check_not_complete', `spot check ${check.id} still has pending items`);
    }

    let replaced: { id: string; number: string; version: number; locale: Locale; issuedAt: Date } | null = null;
    if (req.replaces === undefined) {
      // One current bulletin a check: a second one is a correction, which says what it replaces.
      const { rows: current } = await client.query<{ id: string; number: string }>(
        'SELECT id, number FROM bulletins b WHERE spot_check_id = $1 AND NOT EXISTS (SELECT 1 FROM bulletins n WHERE n.replaces = b.id)',
        [check.id],
      );
      if (current[0]) {
        throw conflict('bulletin_exists', `spot check ${check.id} has bulletin ${current[0].number} (${current[0].id}): a correction names it in replaces`, 'replaces');
      }
    } else {
      const { rows } = await client.query<{ id: string; spotCheckId: string; number: string; version: number; locale: Locale; issuedAt: Date; replacedBy: string | null }>(
        `SELECT id, spot_check_id AS "spotCheckId", number, version, locale, issued_at AS "issuedAt",
                (SELECT n.id FROM bulletins n WHERE n.replaces = b.id) AS "replacedBy"
           FROM bulletins b WHERE id = $1`,
        [req.replaces],
      );
      const old = rows[0];
      if (!old) throw unprocessable('unknown_bulletin', `no bulletin ${req.replaces}`, 'replaces');
      if (old.spotCheckId !== check.id) throw conflict('bulletin_of_another_check', `bulletin ${old.id} is of spot check ${old.spotCheckId}, not ${check.id}`, 'replaces');
      if (old.replacedBy) throw conflict('already_replaced', `bulletin ${old.id} was already replaced by ${old.replacedBy}: correct that one`, 'replaces');
      if (req.number !== undefined && req.number !== old.number) {
        throw unprocessable('number_mismatch', `a correction keeps the number of what it replaces (${old.number})`, 'number');
      }
      replaced = old;
    }

    const issuedAt = options.now ?? new Date();
    let number = replaced?.number ?? req.number;
    if (number === undefined) {
      number = await nextNumber(client, DateTime.fromJSDate(issuedAt, { zone }).year);
    } else if (!replaced) {
      number = canonicalNumber(number);
      // Numbers that differ only in spacing are one number.
      const { rowCount } = await client.query(`SELECT 1 FROM bulletins WHERE regexp_replace(number, '\\s', '', 'g') = $1`, [number.replace(/\s/g, '')]);
      if (rowCount) throw conflict('number_taken', `bulletin number ${number} is taken: a correction names the bulletin it replaces`, 'number');
    }
    const version = replaced ? replaced.version + 1 : 1;
    const locale: Locale = req.locale ?? replaced?.locale ?? 'zh-CN';

    const parsed = regulationSchema.safeParse(snapshot);
    const regulation = parsed.success ? parsed.data : options.fallbackRegulation;
    if (!regulation) throw new Error(`spot check ${check.id}: its stored regulation cannot be read`);

    const scope = check.unitCodes === null || check.unitCodes.length === 0 ? null : check.unitCodes;
    const unitCodes = [...new Set([...items.map((i) => i.unitCode), ...(scope ?? [])])];
    const badges = [...new Set(items.flatMap((i) => i.badgeNos))];
    const units = await client.query<{ code: string; name: string }>('SELECT code, name FROM units WHERE code = ANY($1)', [unitCodes]);
    const officers = await client.query<{ badgeNo: string; name: string }>('SELECT badge_no AS "badgeNo", name FROM officers WHERE badge_no = ANY($1)', [badges]);
    const draws = await countDraws(client, { from: check.periodFrom, to: check.periodTo }, scope);
    const head = await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM custody_events ORDER BY seq DESC LIMIT 1');
    const previous = await previousBulletins(client, check, Math.max(1, regulation.bulletin.trendBulletins));
    const custody = { seq: head.rows[0]?.seq ?? 0, head: head.rows[0]?.hash ?? GENESIS_HASH };

    const computed = bulletinContent(
      {
        spotCheck: check,
        regulation,
        items,
        unitNames: Object.fromEntries(units.rows.map((u) => [u.code, u.name])),
        officerNames: Object.fromEntries(officers.rows.map((o) => [o.badgeNo, o.name])),
        previous,
        draws,
        recordingsChecked: recordingsInFindings(items),
        custody,
        number,
        version,
        replaces: replaced && { id: replaced.id, number: replaced.number, version: replaced.version, issuedAt: replaced.issuedAt.toISOString() },
        issuedAt,
        issuedBy: actor,
        zone,
      },
      locale,
    );
    // As stored and read back (jsonb): the PDF is made from exactly what later renderings read.
    const content = JSON.parse(JSON.stringify(computed)) as BulletinContent;
    const pdf = await bulletinPdf(content);

    const id = randomUUID();
    try {
      await client.query(
        `INSERT INTO bulletins (id, spot_check_id, number, version, replaces, locale, issued_by, issued_at, custody_head, content, pdf)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [id, check.id, number, version, replaced?.id ?? null, locale, actor, issuedAt, custody.head, JSON.stringify(content), pdf],
      );
    } catch (err) {
      if (pgCode(err) === PgCode.uniqueViolation) {
        if ((err as { constraint?: string }).constraint === 'bulletins_replaced_once') throw conflict('already_replaced', `bulletin ${replaced?.id} was already replaced`, 'replaces');
        throw conflict('number_taken', `bulletin number ${number} version ${version} exists`, 'number');
      }
      throw err;
    }
    await appendCustody(client, {
      actor,
      action: 'bulletin_issue',
      target: `bulletin:${id}`,
      detail: {
        spotCheckId: check.id,
        number,
        version,
        locale,
        replaces: replaced?.id ?? null,
        custodyHead: custody.head,
        custodySeq: custody.seq,
        contentSha256: sha256(canonicalJson(content)),
        pdfSha256: sha256(pdf),
      },
    });
    return { id, number, version, locale, replaces: replaced?.id ?? null, issuedAt: issuedAt.toISOString(), custodyHead: custody.head };
  });
}

export async function getBulletin(db: Db, id: string): Promise<Bulletin | null> {
  const { rows } = await db.query<Bulletin>(
    `SELECT b.id, b.spot_check_id AS "spotCheckId", b.number, b.version, b.replaces,
            (SELECT n.id FROM bulletins n WHERE n.replaces = b.id) AS "replacedBy",
            b.locale, b.issued_by AS "issuedBy", b.issued_at AS "issuedAt", b.custody_head AS "custodyHead", b.content, b.pdf,
            s.unit_codes AS "unitCodes"
       FROM bulletins b JOIN spot_checks s ON s.id = b.spot_check_id
      WHERE b.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
