import { Redis } from 'ioredis'
import { DocloaderError } from '@docloader/core'
import { JOB_STATUSES } from '../jobs/job.js'
import type { JobRecord, JobStatus, WebhookDelivery } from '../jobs/job.js'
import type { JobPage, JobStore } from './job-store.js'
import { checkEpochMs, checkStatus, clampLimit, isoToMs } from './record-checks.js'

export interface RedisJobStoreOptions {
  /**
   * Redis to connect to. The store opens its own connection and closes it in `close()`.
   * Give either `url` or `client`, not both.
   * @default 'redis://127.0.0.1:6379'
   * @example 'redis://:secret@redis.internal:6379/2'
   */
  url?: string
  /**
   * A ready ioredis client to use instead of `url` (your own TLS, Sentinel or retry
   * settings). The store never closes it: `close()` only stops the store using it. It must
   * not have a `keyPrefix` (use `prefix`), and should have a bounded
   * `maxRetriesPerRequest`, or calls wait for as long as Redis is down.
   */
  client?: Redis
  /**
   * Prepended to every key, so several deployments (or tests) can share one Redis.
   * @default 'docloader:'
   */
  prefix?: string
}

/**
 * Reconnect attempts a command waits through before it rejects. Not `null` (BullMQ's
 * advice, right for its blocking workers, which should wait out an outage): for the job
 * store, a call made while Redis is down must fail within seconds, so the API answers 503
 * and `/readyz` turns red instead of piling up requests that hang. The client keeps
 * reconnecting in the background and later calls work again once Redis is back.
 */
const MAX_RETRIES_PER_REQUEST = 2

/**
 * Delay before reconnect attempt `times`: 100, 200 ... then every second. ioredis's default
 * backs off exponentially to 5 s, so with it a call made during a long outage waited about
 * 20 s (measured) before rejecting; with this it waits about 2 s, and the store is back
 * within a second of Redis.
 */
function retryDelay(times: number): number {
  return Math.min(times * 100, 1000)
}

/** How long `ping()` waits for PONG before answering false. */
const PING_TIMEOUT_MS = 2000

/** Compare-and-set rounds `update` tries before giving up under contention. */
const MAX_UPDATE_ROUNDS = 100


/** Fields every JobRecord has: a patch setting one to `undefined` leaves it unchanged. */
const REQUIRED_FIELDS: ReadonlySet<string> = new Set<keyof JobRecord>([
  'status', 'filename', 'mimeType', 'sizeBytes', 'outputFormat', 'options', 'progress', 'pagesDone',
  'pagesTotal', 'attempts', 'runAfter', 'createdAt', 'expiresAt', 'webhookAttempts',
])

/*
 * Layout (P = prefix). Every write is one Lua script, so indexes never disagree with the job.
 *
 *   P job:<id>                  the JobRecord as JSON (see serializeJob for its key order)
 *   P meta:<id>                 hash: org, orgKey, idemKey, status, seq, sort, key, runAfter
 *   P seq                       INCR counter: creation order, ties between jobs of one ms
 *   P org:<org>                 sorted set of the org's jobs by `sort` (all scores 0, ordered
 *   P org:<org>:status:<s>        by member): sort = <createdAt ms, 17 digits>:<seq, 16>:<id>
 *   P status:<s>                same, all orgs: claim order (pending), counts, listProcessing
 *   P idem:<org>                hash idempotency key -> job id
 *   P expires                   sorted set of job ids by expiresAt ms
 *   P delivery:<eventId>        hash: the WebhookDelivery fields, plus `member`
 *   P deliveries:due            sorted set of pending deliveries by nextAttemptAt (member
 *                                 <seq>:<eventId>, so ties go in insertion order)
 *   P deliveries:job:<id>       set of the job's delivery event ids (for delete)
 *
 * <org> is encodeURIComponent(org), so an org name cannot reach into another's keys.
 * Scripts build some key names themselves (from meta), so the store needs one Redis
 * server (or a primary with replicas), not a Redis Cluster.
 *
 * Numbers: scripts never turn a Lua number into a string (Lua prints 14 digits, which
 * would round a fractional runAfter); they pass on the strings JavaScript wrote. Lua's
 * cjson has the same 14-digit limit and writes `[]` as `{}`, so no script re-encodes a
 * job: claims and webhook attempts edit the JSON text at known places instead.
 */

/** Sort member prefix: the creation seq is zero-padded to this width. */
const SEQ_WIDTH = 16
/** Offset making every Date's epoch ms (±8.64e15) a non-negative 17-digit number. */
const MS_OFFSET = 8_640_000_000_000_000n
const MS_WIDTH = 17
/** Characters before the id in a sort member: `<17>:<16>:`. */
const SORT_ID_START = MS_WIDTH + 1 + SEQ_WIDTH + 1

const SCRIPTS = {
  // KEYS: job, meta, seq, orgIndex, idem, expires
  // ARGV: data, id, org, status, hasKey, key, ms17, runAfter, expiresMs, prefix, orgKey
  docloaderJobCreate: {
    numberOfKeys: 6,
    lua: `
local data, id, org, status, hasKey, key, ms17, runAfter, expiresMs, prefix, orgKey = unpack(ARGV)
if hasKey == '1' then
  local existing = redis.call('HGET', KEYS[5], key)
  if existing then
    local current = redis.call('GET', prefix .. 'job:' .. existing)
    if current then return {0, current} end
  end
end
local current = redis.call('GET', KEYS[1])
if current then
  -- The same create replayed (ioredis resends a command whose reply a dropped
  -- connection lost): already done.
  if current == data then return {1} end
  return redis.error_reply('ERR job id ' .. id .. ' already exists')
end
local seq = string.format('%0${SEQ_WIDTH}d', redis.call('INCR', KEYS[3]))
local sort = ms17 .. ':' .. seq .. ':' .. id
redis.call('SET', KEYS[1], data)
redis.call('HSET', KEYS[2], 'org', org, 'orgKey', orgKey, 'idemKey', KEYS[5], 'status', status,
  'seq', seq, 'sort', sort, 'runAfter', runAfter)
if hasKey == '1' then
  redis.call('HSET', KEYS[2], 'key', key)
  redis.call('HSET', KEYS[5], key, id)
end
redis.call('ZADD', KEYS[4], 0, sort)
redis.call('ZADD', orgKey .. ':status:' .. status, 0, sort)
redis.call('ZADD', prefix .. 'status:' .. status, 0, sort)
redis.call('ZADD', KEYS[6], expiresMs, id)
return {1}
`,
  },

  // Compare-and-set of the whole record: writes only if the job is still exactly `expected`.
  // Returns 1 written, 0 job gone, -1 changed meanwhile (the caller reads again and retries).
  // KEYS: job, meta, expires
  // ARGV: expected, data, status, ms17, runAfter, expiresMs, keyChange ('' | 'set' | 'clear'), key, prefix, id
  docloaderJobUpdate: {
    numberOfKeys: 3,
    lua: `
local expected, data, status, ms17, runAfter, expiresMs, keyChange, key, prefix, id = unpack(ARGV)
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if current ~= expected then return -1 end
local orgKey, idemKey, oldStatus, seq, oldSort, oldKey = unpack(redis.call('HMGET', KEYS[2], 'orgKey', 'idemKey', 'status', 'seq', 'sort', 'key'))
if keyChange == 'set' and key ~= oldKey then
  local holder = redis.call('HGET', idemKey, key)
  if holder and holder ~= id then
    return redis.error_reply('ERR idempotency key already used by job ' .. holder)
  end
end
local sort = ms17 .. ':' .. seq .. ':' .. id
redis.call('ZREM', orgKey, oldSort)
redis.call('ZREM', orgKey .. ':status:' .. oldStatus, oldSort)
redis.call('ZREM', prefix .. 'status:' .. oldStatus, oldSort)
redis.call('ZADD', orgKey, 0, sort)
redis.call('ZADD', orgKey .. ':status:' .. status, 0, sort)
redis.call('ZADD', prefix .. 'status:' .. status, 0, sort)
redis.call('ZADD', KEYS[3], expiresMs, id)
if keyChange ~= '' and key ~= oldKey then
  if oldKey and redis.call('HGET', idemKey, oldKey) == id then redis.call('HDEL', idemKey, oldKey) end
  if keyChange == 'set' then
    redis.call('HSET', idemKey, key, id)
    redis.call('HSET', KEYS[2], 'key', key)
  else
    redis.call('HDEL', KEYS[2], 'key')
  end
end
redis.call('HSET', KEYS[2], 'status', status, 'sort', sort, 'runAfter', runAfter)
redis.call('SET', KEYS[1], data)
return 1
`,
  },

  // Takes the oldest pending job whose runAfter <= now and rewrites the front of its JSON
  // (serializeJob puts status, attempts and startedAt first).
  // KEYS: status:pending, status:processing
  // ARGV: now, startedAt (JSON string literal), prefix
  docloaderJobClaim: {
    numberOfKeys: 2,
    lua: `
local now = tonumber(ARGV[1])
local startedAt, prefix = ARGV[2], ARGV[3]
local offset = 0
while true do
  local batch = redis.call('ZRANGE', KEYS[1], '-', '+', 'BYLEX', 'LIMIT', offset, 100)
  if #batch == 0 then return false end
  for _, sort in ipairs(batch) do
    local id = string.sub(sort, ${SORT_ID_START + 1})
    local metaKey = prefix .. 'meta:' .. id
    local runAfter = tonumber(redis.call('HGET', metaKey, 'runAfter'))
    if runAfter and runAfter <= now then
      local jobKey = prefix .. 'job:' .. id
      local data = redis.call('GET', jobKey)
      local attempts, rest = string.match(data or '', '^{"status":"pending","attempts":(%d+)(.*)$')
      if not attempts then
        return redis.error_reply('ERR job ' .. id .. ' is not stored as this version of docloader writes jobs')
      end
      local afterStarted = string.match(rest, '^,"startedAt":"[^"]*"(.*)$')
      if afterStarted then rest = afterStarted end
      -- attempts is a small integer: Lua prints it exactly.
      data = '{"status":"processing","attempts":' .. (tonumber(attempts) + 1) .. ',"startedAt":' .. startedAt .. rest
      local orgKey = redis.call('HGET', metaKey, 'orgKey')
      redis.call('SET', jobKey, data)
      redis.call('HSET', metaKey, 'status', 'processing')
      redis.call('ZREM', KEYS[1], sort)
      redis.call('ZADD', KEYS[2], 0, sort)
      redis.call('ZREM', orgKey .. ':status:pending', sort)
      redis.call('ZADD', orgKey .. ':status:processing', 0, sort)
      return data
    end
  end
  offset = offset + #batch
end
`,
  },

  // Appends to webhookAttempts, which serializeJob writes last: the JSON ends in `]}`.
  // KEYS: job. ARGV: attempt JSON.
  docloaderJobAddAttempt: {
    numberOfKeys: 1,
    lua: `
local data = redis.call('GET', KEYS[1])
if not data then return 0 end
local head
if string.sub(data, -3) == '[]}' then head = string.sub(data, 1, -3)
elseif string.sub(data, -2) == ']}' then head = string.sub(data, 1, -3) .. ','
else return redis.error_reply('ERR job record does not end with its webhookAttempts array') end
redis.call('SET', KEYS[1], head .. ARGV[1] .. ']}')
return 1
`,
  },

  // KEYS: job, meta, expires, deliveries:due, deliveries:job:<id>
  // ARGV: id, prefix
  docloaderJobDelete: {
    numberOfKeys: 5,
    lua: `
local id, prefix = ARGV[1], ARGV[2]
for _, eventId in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  local deliveryKey = prefix .. 'delivery:' .. eventId
  local member = redis.call('HGET', deliveryKey, 'member')
  if member then redis.call('ZREM', KEYS[4], member) end
  redis.call('DEL', deliveryKey)
end
redis.call('DEL', KEYS[5])
local orgKey, idemKey, status, sort, key = unpack(redis.call('HMGET', KEYS[2], 'orgKey', 'idemKey', 'status', 'sort', 'key'))
if orgKey then
  redis.call('ZREM', orgKey, sort)
  redis.call('ZREM', orgKey .. ':status:' .. status, sort)
  redis.call('ZREM', prefix .. 'status:' .. status, sort)
  if key and redis.call('HGET', idemKey, key) == id then redis.call('HDEL', idemKey, key) end
end
redis.call('ZREM', KEYS[3], id)
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`,
  },

  // Reads jobs named by a sorted set range in one consistent snapshot. Returns
  // [member, data, member, data...] (members whose job is gone are skipped).
  // KEYS: the sorted set. ARGV: start, stop, BYLEX|BYSCORE, rev ('1'|'0'), count, prefix, idFrom ('sort'|'member')
  docloaderJobRange: {
    numberOfKeys: 1,
    readOnly: true,
    lua: `
local start, stop, by, rev, count, prefix, idFrom = unpack(ARGV)
local members
if rev == '1' then
  members = redis.call('ZRANGE', KEYS[1], start, stop, by, 'REV', 'LIMIT', 0, count)
else
  members = redis.call('ZRANGE', KEYS[1], start, stop, by, 'LIMIT', 0, count)
end
local out = {}
for _, member in ipairs(members) do
  local id = member
  if idFrom == 'sort' then id = string.sub(member, ${SORT_ID_START + 1}) end
  local data = redis.call('GET', prefix .. 'job:' .. id)
  if data then
    out[#out + 1] = member
    out[#out + 1] = data
  end
end
return out
`,
  },

  // KEYS: delivery, deliveries:due, seq, deliveries:job:<jobId>
  // ARGV: eventId, jobId, org, url, body, status, attempts, nextAttemptAt, state
  docloaderDeliveryAdd: {
    numberOfKeys: 4,
    lua: `
local eventId, jobId, org, url, body, status, attempts, nextAttemptAt, state = unpack(ARGV)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('ERR webhook delivery ' .. eventId .. ' already exists')
end
local member = string.format('%0${SEQ_WIDTH}d', redis.call('INCR', KEYS[3])) .. ':' .. eventId
redis.call('HSET', KEYS[1], 'eventId', eventId, 'jobId', jobId, 'org', org, 'url', url, 'body', body,
  'status', status, 'attempts', attempts, 'nextAttemptAt', nextAttemptAt, 'state', state, 'member', member)
if state == 'pending' then redis.call('ZADD', KEYS[2], nextAttemptAt, member) end
redis.call('SADD', KEYS[4], eventId)
return 1
`,
  },

  // KEYS: delivery, deliveries:due. ARGV: attempts, nextAttemptAt, state ('' = unchanged)
  docloaderDeliveryUpdate: {
    numberOfKeys: 2,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local fields = {'attempts', 'nextAttemptAt', 'state'}
for i, field in ipairs(fields) do
  if ARGV[i] ~= '' then redis.call('HSET', KEYS[1], field, ARGV[i]) end
end
local member, state, nextAttemptAt = unpack(redis.call('HMGET', KEYS[1], 'member', 'state', 'nextAttemptAt'))
if state == 'pending' then
  redis.call('ZADD', KEYS[2], nextAttemptAt, member)
else
  redis.call('ZREM', KEYS[2], member)
end
return 1
`,
  },

  // KEYS: deliveries:due. ARGV: now, count, prefix, leaseUntil. Like docloaderDeliveryDue, and
  // moves each delivery returned to leaseUntil (hash and due index) in the same script.
  docloaderDeliveryClaim: {
    numberOfKeys: 1,
    lua: `
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])) do
  local eventId = string.sub(member, ${SEQ_WIDTH + 2})
  local key = ARGV[3] .. 'delivery:' .. eventId
  local fields = redis.call('HGETALL', key)
  if #fields > 0 then
    out[#out + 1] = fields
    redis.call('HSET', key, 'nextAttemptAt', ARGV[4])
    redis.call('ZADD', KEYS[1], ARGV[4], member)
  end
end
return out
`,
  },

  // KEYS: deliveries:due. ARGV: now, count, prefix. Returns one flat field list per delivery.
  docloaderDeliveryDue: {
    numberOfKeys: 1,
    readOnly: true,
    lua: `
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])) do
  local eventId = string.sub(member, ${SEQ_WIDTH + 2})
  local fields = redis.call('HGETALL', ARGV[3] .. 'delivery:' .. eventId)
  if #fields > 0 then out[#out + 1] = fields end
end
return out
`,
  },
} as const

type ScriptName = keyof typeof SCRIPTS
type ScriptArg = string | number
type ScriptedRedis = Redis & { [K in ScriptName]: (...args: ScriptArg[]) => Promise<unknown> }

/**
 * The job store for the distributed mode: job records, indexes and webhook deliveries in
 * Redis, shared by the API and any number of workers on any number of machines. Same
 * behaviour as the SQLite store (listing, org isolation, idempotency, claims); every write
 * is one Lua script, so it is atomic across processes. Errors are thrown, never swallowed.
 *
 * Run Redis with persistence (`appendonly yes`) and `maxmemory-policy noeviction`: an
 * evicted key is a lost job.
 *
 * @example
 * const store = createRedisJobStore({ url: 'redis://127.0.0.1:6379' })
 */
export function createRedisJobStore(options: RedisJobStoreOptions = {}): JobStore {
  const prefix = options.prefix ?? 'docloader:'
  if (typeof prefix !== 'string') {
    throw new TypeError(`Expected \`prefix\` to be a string, got \`${String(prefix)}\` (${typeof prefix})`)
  }
  if (options.url !== undefined && options.client !== undefined) {
    throw new TypeError('Expected either `url` or `client`, got both')
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new TypeError(`Expected \`url\` to be a redis:// or rediss:// URL, got \`${String(options.url)}\` (${typeof options.url})`)
  }
  const owned = options.client === undefined
  if (options.client !== undefined) {
    const keyPrefix = (options.client as { options?: { keyPrefix?: unknown } }).options?.keyPrefix
    if (typeof keyPrefix === 'string' && keyPrefix !== '') {
      throw new TypeError(`Expected a \`client\` without \`keyPrefix\` (got \`${keyPrefix}\`): the store's scripts build key names themselves. Pass the prefix as \`prefix\` instead.`)
    }
  }
  const redis = (options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: retryDelay,
  })) as ScriptedRedis
  if (owned) {
    // Connection errors reach callers as rejected calls; without a listener ioredis would
    // also print each reconnect failure to the console.
    redis.on('error', () => {})
  }
  for (const [name, script] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, script)
  }
  return buildStore(redis, prefix, owned)
}

function buildStore(redis: ScriptedRedis, prefix: string, owned: boolean): JobStore {
  const k = {
    job: (id: string) => `${prefix}job:${id}`,
    meta: (id: string) => `${prefix}meta:${id}`,
    seq: `${prefix}seq`,
    org: (org: string) => `${prefix}org:${encodeURIComponent(org)}`,
    idem: (org: string) => `${prefix}idem:${encodeURIComponent(org)}`,
    status: (status: JobStatus) => `${prefix}status:${status}`,
    expires: `${prefix}expires`,
    delivery: (eventId: string) => `${prefix}delivery:${eventId}`,
    due: `${prefix}deliveries:due`,
    jobDeliveries: (jobId: string) => `${prefix}deliveries:job:${jobId}`,
  }

  let closed = false
  function open(): void {
    if (closed) throw new Error('The Redis job store is closed')
  }

  async function range(key: string, start: string, stop: string, by: 'BYLEX' | 'BYSCORE', rev: boolean, count: number, idFrom: 'sort' | 'member'): Promise<Array<{ member: string; data: string }>> {
    const flat = await redis.docloaderJobRange(key, start, stop, by, rev ? '1' : '0', count, prefix, idFrom) as string[]
    const rows: Array<{ member: string; data: string }> = []
    for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ member: flat[i] as string, data: flat[i + 1] as string })
    return rows
  }

  return {
    async create(job) {
      open()
      const data = serializeJob(job)
      const key = job.idempotencyKey
      const reply = await redis.docloaderJobCreate(
        k.job(job.id), k.meta(job.id), k.seq, k.org(job.org), k.idem(job.org), k.expires,
        data, job.id, job.org, job.status, key === undefined ? '0' : '1', key ?? '',
        sortMs(isoToMs('createdAt', job.createdAt)), String(job.runAfter), String(isoToMs('expiresAt', job.expiresAt)),
        prefix, k.org(job.org),
      ) as [number, string?]
      if (reply[0] === 1) return { job: parseJob(data), created: true }
      return { job: parseJob(reply[1] as string), created: false }
    },

    async get(org, id) {
      open()
      const data = await redis.get(k.job(id))
      if (data === null) return undefined
      const job = parseJob(data)
      return job.org === org ? job : undefined
    },

    async getById(id) {
      open()
      const data = await redis.get(k.job(id))
      return data === null ? undefined : parseJob(data)
    },

    async update(id, patch, onlyIf) {
      open()
      if (patch.status !== undefined) checkStatus(patch.status)
      for (const status of onlyIf ?? []) checkStatus(status)
      for (let round = 0; round < MAX_UPDATE_ROUNDS; round++) {
        const current = await redis.get(k.job(id))
        if (current === null) return undefined
        const job = parseJob(current)
        if (onlyIf !== undefined && !onlyIf.includes(job.status)) return undefined
        const next = applyPatch(job, patch)
        const data = serializeJob(next)
        const keyChange = !Object.hasOwn(patch, 'idempotencyKey') ? '' : next.idempotencyKey === undefined ? 'clear' : 'set'
        const written = await redis.docloaderJobUpdate(
          k.job(id), k.meta(id), k.expires,
          current, data, next.status, sortMs(isoToMs('createdAt', next.createdAt)), String(next.runAfter),
          String(isoToMs('expiresAt', next.expiresAt)), keyChange, next.idempotencyKey ?? '', prefix, id,
        )
        if (written === 1) return parseJob(data)
        if (written === 0) return undefined
        // -1: another writer changed the job between our read and our write; read again.
      }
      throw new Error(`Could not update job ${id}: it changed under ${MAX_UPDATE_ROUNDS} attempts in a row`)
    },

    async list(org, options = {}) {
      open()
      const limit = clampLimit(options.limit)
      if (options.status !== undefined) checkStatus(options.status)
      const start = options.cursor === undefined ? '+' : `(${decodeCursor(options.cursor)}`
      const key = options.status === undefined ? k.org(org) : `${k.org(org)}:status:${options.status}`
      // One more than asked tells whether a next page exists.
      const rows = await range(key, start, '-', 'BYLEX', true, limit + 1, 'sort')
      const page = rows.slice(0, limit)
      const result: JobPage = { jobs: page.map(r => parseJob(r.data)) }
      const last = page[page.length - 1]
      if (rows.length > limit && last) result.nextCursor = encodeCursor(last.member)
      return result
    },

    async claimNext(now) {
      open()
      if (!Number.isFinite(now)) throw new TypeError(`Expected \`now\` to be epoch milliseconds, got \`${String(now)}\` (${typeof now})`)
      const data = await redis.docloaderJobClaim(k.status('pending'), k.status('processing'), String(now), JSON.stringify(new Date(now).toISOString()), prefix) as string | null
      return data === null ? undefined : parseJob(data)
    },

    async listProcessing() {
      open()
      return (await range(k.status('processing'), '-', '+', 'BYLEX', false, -1, 'sort')).map(r => parseJob(r.data))
    },

    async listPending(limit) {
      open()
      return (await range(k.status('pending'), '-', '+', 'BYLEX', false, Math.max(1, Math.floor(limit)), 'sort')).map(r => parseJob(r.data))
    },

    async addWebhookAttempt(jobId, attempt) {
      open()
      await redis.docloaderJobAddAttempt(k.job(jobId), JSON.stringify(attempt))
    },

    async listExpired(now, limit) {
      open()
      const count = Math.max(0, Math.floor(limit))
      if (count === 0) return []
      return (await range(k.expires, '-inf', `(${now.getTime()}`, 'BYSCORE', false, count, 'member')).map(r => parseJob(r.data))
    },

    async delete(id) {
      open()
      await redis.docloaderJobDelete(k.job(id), k.meta(id), k.expires, k.due, k.jobDeliveries(id), id, prefix)
    },

    async countByStatus() {
      open()
      const counts = await Promise.all(JOB_STATUSES.map(status => redis.zcard(k.status(status))))
      return Object.fromEntries(JOB_STATUSES.map((status, i) => [status, counts[i] ?? 0])) as Record<JobStatus, number>
    },

    async addDelivery(delivery) {
      open()
      checkStatus(delivery.status)
      checkEpochMs('nextAttemptAt', delivery.nextAttemptAt)
      await redis.docloaderDeliveryAdd(
        k.delivery(delivery.eventId), k.due, k.seq, k.jobDeliveries(delivery.jobId),
        delivery.eventId, delivery.jobId, delivery.org, delivery.url, delivery.body, delivery.status,
        String(delivery.attempts), String(delivery.nextAttemptAt), delivery.state,
      )
    },

    async dueDeliveries(now, limit, leaseUntil) {
      open()
      const count = Math.max(0, Math.floor(limit))
      if (count === 0) return []
      checkEpochMs('now', now)
      if (leaseUntil !== undefined) checkEpochMs('leaseUntil', leaseUntil)
      const rows = (leaseUntil === undefined
        ? await redis.docloaderDeliveryDue(k.due, String(now), count, prefix)
        : await redis.docloaderDeliveryClaim(k.due, String(now), count, prefix, String(leaseUntil))) as string[][]
      return rows.map(toDelivery)
    },

    async updateDelivery(eventId, patch) {
      open()
      if (patch.nextAttemptAt !== undefined) checkEpochMs('nextAttemptAt', patch.nextAttemptAt)
      await redis.docloaderDeliveryUpdate(
        k.delivery(eventId), k.due,
        patch.attempts === undefined ? '' : String(patch.attempts),
        patch.nextAttemptAt === undefined ? '' : String(patch.nextAttemptAt),
        patch.state ?? '',
      )
    },

    async ping() {
      // The one method whose answer is a boolean: closed, unreachable or slow is "not ready".
      // While Redis is down the PING waits in ioredis's offline queue and rejects after
      // MAX_RETRIES_PER_REQUEST reconnect attempts; the timeout bounds the rest.
      if (closed || redis.status === 'end') return false
      let timer: NodeJS.Timeout | undefined
      try {
        const timeout = new Promise<string>(resolve => {
          timer = setTimeout(resolve, PING_TIMEOUT_MS, 'timeout')
        })
        return (await Promise.race([redis.ping(), timeout])) === 'PONG'
      } catch {
        return false
      } finally {
        clearTimeout(timer)
      }
    },

    async close() {
      if (closed) return
      closed = true
      if (!owned) return
      try {
        await redis.quit()
      } catch {
        // quit fails when the connection is already down; drop it without waiting.
        redis.disconnect()
      }
    },
  }
}

/**
 * The stored JSON, in a fixed key order the scripts rely on: status, attempts and
 * startedAt first (claims rewrite them in place), webhookAttempts last (appends go before
 * the closing `]}`).
 */
function serializeJob(job: JobRecord): string {
  if (typeof job.id !== 'string' || job.id === '') throw new TypeError(`Expected \`job.id\` to be a non-empty string, got \`${String(job.id)}\``)
  if (typeof job.org !== 'string' || job.org === '') throw new TypeError(`Expected \`job.org\` to be a non-empty string, got \`${String(job.org)}\``)
  checkStatus(job.status)
  if (!Number.isSafeInteger(job.attempts) || job.attempts < 0) {
    throw new TypeError(`Expected \`attempts\` to be an integer from 0 and up, got \`${String(job.attempts)}\` (${typeof job.attempts})`)
  }
  if (job.startedAt !== undefined && (Number.isNaN(Date.parse(job.startedAt)) || JSON.stringify(job.startedAt) !== `"${job.startedAt}"`)) {
    throw new TypeError(`Expected \`startedAt\` to be an ISO date, got \`${String(job.startedAt)}\` (${typeof job.startedAt})`)
  }
  if (!Array.isArray(job.webhookAttempts)) {
    throw new TypeError(`Expected \`webhookAttempts\` to be an array, got \`${String(job.webhookAttempts)}\` (${typeof job.webhookAttempts})`)
  }
  checkEpochMs('runAfter', job.runAfter)
  isoToMs('createdAt', job.createdAt)
  isoToMs('expiresAt', job.expiresAt)
  const { status, attempts, startedAt, webhookAttempts, ...rest } = job
  return JSON.stringify({ status, attempts, startedAt, ...rest, webhookAttempts })
}

/** `{ ...job, ...patch }`, except that id and org never change and required fields are never cleared. */
function applyPatch(job: JobRecord, patch: Partial<Omit<JobRecord, 'id' | 'org'>>): JobRecord {
  const next: Record<string, unknown> = { ...job }
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id' || key === 'org') continue
    if (value === undefined) {
      if (!REQUIRED_FIELDS.has(key)) delete next[key]
      continue
    }
    next[key] = value
  }
  return next as unknown as JobRecord
}

function parseJob(data: string): JobRecord {
  return JSON.parse(data) as JobRecord
}

function toDelivery(fields: string[]): WebhookDelivery {
  const f = new Map<string, string>()
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string)
  const get = (name: string): string => f.get(name) ?? ''
  return {
    eventId: get('eventId'),
    jobId: get('jobId'),
    org: get('org'),
    url: get('url'),
    body: get('body'),
    status: get('status') as JobStatus,
    attempts: Number(get('attempts')),
    nextAttemptAt: Number(get('nextAttemptAt')),
    state: get('state') as WebhookDelivery['state'],
  }
}




/** Epoch ms as 17 digits that sort as text the way the numbers sort. */
function sortMs(ms: number): string {
  return (BigInt(ms) + MS_OFFSET).toString().padStart(MS_WIDTH, '0')
}


/** Cursor: base64url of `r1:<sort ms>:<seq>`, the position of the last job of the page. */
function encodeCursor(sortMember: string): string {
  const [ms, seq] = sortMember.split(':')
  return Buffer.from(`r1:${ms}:${seq}`).toString('base64url')
}

/** The sort-member prefix a cursor stands for; jobs after it in the list sort below it. */
function decodeCursor(cursor: string): string {
  const match = typeof cursor === 'string'
    ? new RegExp(`^r1:(\\d{${MS_WIDTH}}):(\\d{${SEQ_WIDTH}})$`).exec(Buffer.from(cursor, 'base64url').toString('utf8'))
    : null
  if (!match) {
    throw new DocloaderError('INVALID_OPTION', 'The `cursor` is not one this server issued. Pass the `next_cursor` of the previous page unchanged, or leave it out to start from the newest job.', { details: { option: 'cursor' } })
  }
  return `${match[1]}:${match[2]}`
}
