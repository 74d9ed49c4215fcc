/* Dynamic slot scheduling over MPI ranks.
 *
 * Rank 0 simulates like every other rank; a helper thread on rank 0 (the
 * "dispatcher") answers chunk requests from the other ranks while rank 0's
 * main thread takes its own chunks from the same counter under a mutex. MPI
 * is initialised with MPI_THREAD_SERIALIZED: while the dispatcher runs, rank
 * 0's main thread makes no MPI call.
 *
 * Every wait polls a non-blocking request and sleeps between polls (backing
 * off to 1 ms), because MPICH's blocking calls spin a whole core, which on a
 * small node would steal the core of a rank that is simulating. */
#include "pmc_schedule.h"

#include <errno.h>
#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmc_log.h"

enum { TAG_REQUEST = 101, TAG_REPLY = 102 };

/* Adaptive chunks aim at this much work per request, so that messaging is a
 * negligible fraction even for microsecond simulations. */
#define CHUNK_TARGET_SECONDS 0.02
/* Above this time per slot, a worker stops prefetching its next chunk, so
 * that the last slots of a generation of a slow model are not held by a
 * rank that has not started them. */
#define PREFETCH_MAX_SLOT_SECONDS 0.01
/* Polling sleeps back off from 10 us to 4 ms: a rank waiting for the end of
 * a generation then wakes 250 times a second, well under 1 % of a core,
 * while short waits still end quickly. The dispatcher backs off only to 1 ms,
 * because its latency is every other rank's idle time. */
#define POLL_SLEEP_MIN_NS 10000L
#define POLL_SLEEP_MAX_NS 4000000L
#define DISPATCH_SLEEP_MAX_NS 1000000L

struct pmc_schedule {
    MPI_Comm comm;      /* collectives */
    MPI_Comm work_comm; /* chunk requests and replies only */
    int rank, size;
    size_t chunk;       /* fixed chunk size, 0 = adaptive */
};

/* A chunk request from a worker: how many slots it would like, and whether
 * it failed (then it wants nothing more and the dispatcher stops the run). */
typedef struct {
    uint64_t want;
    int64_t failed;
} work_request;

typedef struct {
    uint64_t start, count; /* count 0: no more work for this generation */
} work_reply;

/* Results computed by this rank: slot indices and their records. */
typedef struct {
    size_t n, cap, record_size;
    uint64_t *slots;
    unsigned char *records;
} local_results;

/* State shared by rank 0's main thread and its dispatcher thread. */
typedef struct {
    pthread_mutex_t lock;
    size_t next, nslots;
    int stop;
    uint64_t requests;
    pmc_schedule *s;
} dispenser;

/* --- small helpers ------------------------------------------------------- */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_ns(long ns)
{
    struct timespec ts = { 0, ns };
    nanosleep(&ts, NULL);
}

static long backoff(long ns, long max)
{
    ns *= 2;
    return ns > max ? max : ns;
}

/* Completes a request without spinning. */
static void wait_sleeping(MPI_Request *req)
{
    long ns = POLL_SLEEP_MIN_NS;
    for (;;) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        sleep_ns(ns);
        ns = backoff(ns, POLL_SLEEP_MAX_NS);
    }
}

void pmc_schedule_barrier(pmc_schedule *s)
{
    MPI_Request req;
    MPI_Ibarrier(s->comm, &req);
    wait_sleeping(&req);
}

/* --- set-up -------------------------------------------------------------- */

int pmc_schedule_init(int *argc, char ***argv, pmc_schedule **out, pmc_err *err)
{
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return pmc_err_set(err, PMC_ERUNTIME, "MPI_Init_thread failed");
    pmc_schedule *s = calloc(1, sizeof *s);
    if (!s)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory allocating the scheduler");
    MPI_Comm_dup(MPI_COMM_WORLD, &s->comm);
    MPI_Comm_dup(MPI_COMM_WORLD, &s->work_comm);
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->size);
    *out = s;
    if (provided < MPI_THREAD_SERIALIZED && s->size > 1)
        return pmc_err_set(err, PMC_ERUNTIME,
                           "the MPI library provides thread level %d, pmcabc needs "
                           "MPI_THREAD_SERIALIZED (%d) to run on more than one rank",
                           provided, MPI_THREAD_SERIALIZED);
    return PMC_OK;
}

void pmc_schedule_finalize(pmc_schedule *s)
{
    if (s) {
        MPI_Comm_free(&s->work_comm);
        MPI_Comm_free(&s->comm);
        free(s);
    }
    MPI_Finalize();
}

void pmc_schedule_abort(pmc_schedule *s, int exit_code)
{
    MPI_Abort(s ? s->comm : MPI_COMM_WORLD, exit_code);
}

int pmc_schedule_rank(const pmc_schedule *s) { return s->rank; }
int pmc_schedule_size(const pmc_schedule *s) { return s->size; }
void pmc_schedule_set_chunk(pmc_schedule *s, size_t chunk) { s->chunk = chunk; }
void *pmc_schedule_comm_handle(pmc_schedule *s) { return &s->comm; }

void pmc_schedule_block(const pmc_schedule *s, size_t n, size_t *lo, size_t *hi)
{
    /* 128-bit-safe enough: n * rank fits in size_t for any n < 2^48 on < 2^16 ranks. */
    *lo = n * (size_t)s->rank / (size_t)s->size;
    *hi = n * (size_t)(s->rank + 1) / (size_t)s->size;
}

/* --- local results ------------------------------------------------------- */

static int results_push(local_results *r, uint64_t slot, unsigned char **record)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        uint64_t *slots = realloc(r->slots, cap * sizeof *slots);
        if (!slots)
            return PMC_ENOMEM;
        r->slots = slots;
        unsigned char *recs = realloc(r->records, cap * r->record_size);
        if (!recs)
            return PMC_ENOMEM;
        r->records = recs;
        r->cap = cap;
    }
    r->slots[r->n] = slot;
    *record = r->records + r->n * r->record_size;
    r->n++;
    return PMC_OK;
}

static void results_free(local_results *r)
{
    free(r->slots);
    free(r->records);
}

/* Computes slots [start, start+count), appending to res. Returns the first
 * failure, with the slot in the message. */
static int compute_chunk(size_t start, size_t count, pmc_slot_fn fn, void *ctx,
                         local_results *res, double *busy, pmc_err *err)
{
    double t0 = pmc_now();
    double c0 = cpu_now();
    int rc = PMC_OK;
    for (size_t slot = start; slot < start + count && rc == PMC_OK; slot++) {
        unsigned char *rec = NULL;
        rc = results_push(res, slot, &rec);
        if (rc != PMC_OK) {
            pmc_err_set(err, rc, "out of memory storing results");
            break;
        }
        rc = fn(ctx, slot, rec, err);
        if (rc != PMC_OK) {
            res->n--;
            pmc_err_prefix(err, "slot %zu", slot);
        }
    }
    busy[0] += pmc_now() - t0;
    busy[1] += cpu_now() - c0;
    return rc;
}

/* Chunk size a rank asks for: enough slots for CHUNK_TARGET_SECONDS of work
 * at the rate measured so far (1 before anything was measured). */
static size_t wanted_chunk(const pmc_schedule *s, double busy, size_t done)
{
    if (s->chunk)
        return s->chunk;
    if (done == 0 || busy <= 0.0)
        return 1;
    double per_slot = busy / (double)done;
    double want = CHUNK_TARGET_SECONDS / per_slot;
    if (want < 1.0)
        return 1;
    if (want > 1e6)
        return 1000000;
    return (size_t)want;
}

/* Guided self-scheduling cap: never more than remaining / (2 P) slots
 * (at least 1), so the tail of a generation is spread over all ranks. */
static size_t take_chunk(dispenser *d, size_t want, size_t *start)
{
    pthread_mutex_lock(&d->lock);
    size_t remaining = d->stop ? 0 : d->nslots - d->next;
    size_t count = 0;
    if (remaining > 0) {
        size_t cap = remaining / (2 * (size_t)d->s->size);
        if (d->s->chunk)
            cap = d->s->chunk;
        if (cap < 1)
            cap = 1;
        count = want < cap ? want : cap;
        if (count > remaining)
            count = remaining;
        *start = d->next;
        d->next += count;
    }
    pthread_mutex_unlock(&d->lock);
    return count;
}

static void dispenser_stop(dispenser *d)
{
    pthread_mutex_lock(&d->lock);
    d->stop = 1;
    pthread_mutex_unlock(&d->lock);
}

/* --- rank 0's dispatcher thread ----------------------------------------- */

static void *dispatcher_main(void *arg)
{
    dispenser *d = arg;
    pmc_schedule *s = d->s;
    int active = s->size - 1;
    long ns = POLL_SLEEP_MIN_NS;
    while (active > 0) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, s->work_comm, &flag, &st);
        if (!flag) {
            sleep_ns(ns);
            ns = backoff(ns, DISPATCH_SLEEP_MAX_NS);
            continue;
        }
        ns = POLL_SLEEP_MIN_NS;
        work_request req;
        MPI_Recv(&req, (int)sizeof req, MPI_BYTE, st.MPI_SOURCE, TAG_REQUEST, s->work_comm,
                 MPI_STATUS_IGNORE);
        if (req.failed)
            dispenser_stop(d);
        work_reply rep = { 0, 0 };
        size_t start = 0;
        if (!req.failed)
            rep.count = take_chunk(d, (size_t)req.want, &start);
        rep.start = start;
        pthread_mutex_lock(&d->lock);
        d->requests++;
        pthread_mutex_unlock(&d->lock);
        MPI_Send(&rep, (int)sizeof rep, MPI_BYTE, st.MPI_SOURCE, TAG_REPLY, s->work_comm);
        if (rep.count == 0)
            active--;
    }
    return NULL;
}

/* Rank 0's own share of the work while the dispatcher serves the others. */
static int run_rank0(dispenser *d, pmc_slot_fn fn, void *ctx, local_results *res, double *busy,
                     pmc_err *err)
{
    pthread_t tid;
    int threaded = d->s->size > 1;
    if (threaded && pthread_create(&tid, NULL, dispatcher_main, d) != 0)
        return pmc_err_set(err, PMC_ERUNTIME, "cannot start the dispatcher thread: %s",
                           strerror(errno));
    int rc = PMC_OK;
    for (;;) {
        size_t start = 0;
        size_t count = take_chunk(d, wanted_chunk(d->s, *busy, res->n), &start);
        if (count == 0)
            break;
        rc = compute_chunk(start, count, fn, ctx, res, busy, err);
        if (rc != PMC_OK) {
            dispenser_stop(d);
            break;
        }
    }
    if (threaded)
        pthread_join(tid, NULL);
    return rc;
}

/* --- workers (ranks > 0) ------------------------------------------------- */

static void post_request(pmc_schedule *s, work_request *req, work_reply *rep, MPI_Request r[2])
{
    MPI_Irecv(rep, (int)sizeof *rep, MPI_BYTE, 0, TAG_REPLY, s->work_comm, &r[1]);
    MPI_Isend(req, (int)sizeof *req, MPI_BYTE, 0, TAG_REQUEST, s->work_comm, &r[0]);
}

static void finish_request(MPI_Request r[2])
{
    wait_sleeping(&r[0]);
    wait_sleeping(&r[1]);
}

/* Asks for chunks until told there is no more work. While computing one
 * chunk it already has the request for the next one in flight (unless slots
 * are slow), so the round trip to rank 0 is hidden. */
static int run_worker(pmc_schedule *s, pmc_slot_fn fn, void *ctx, local_results *res,
                      double *busy, pmc_err *err)
{
    work_request req = { 1, 0 };
    work_reply rep = { 0, 0 }, cur;
    MPI_Request r[2];
    post_request(s, &req, &rep, r);
    int rc = PMC_OK;
    for (;;) {
        finish_request(r);
        if (rep.count == 0)
            return rc;
        cur = rep;
        if (rc != PMC_OK) {
            /* A chunk granted before the failure is dropped; tell rank 0. */
            req.failed = 1;
            post_request(s, &req, &rep, r);
            continue;
        }
        double per_slot = res->n ? *busy / (double)res->n : 0.0;
        int prefetch = per_slot < PREFETCH_MAX_SLOT_SECONDS;
        req.want = wanted_chunk(s, *busy, res->n);
        if (prefetch)
            post_request(s, &req, &rep, r);
        rc = compute_chunk((size_t)cur.start, (size_t)cur.count, fn, ctx, res, busy, err);
        if (!prefetch) {
            req.failed = rc != PMC_OK;
            post_request(s, &req, &rep, r);
        }
    }
}

/* --- gathering ----------------------------------------------------------- */

/* Every rank receives every (slot, record) pair and places it by slot. */
static int gather_results(pmc_schedule *s, const local_results *res, size_t nslots,
                          void *records, pmc_err *err)
{
    size_t item = sizeof(uint64_t) + res->record_size;
    int *counts = calloc((size_t)s->size, sizeof *counts);
    int *displs = calloc((size_t)s->size, sizeof *displs);
    unsigned char *sendbuf = malloc(res->n * item + 1);
    unsigned char *recvbuf = malloc(nslots * item + 1);
    int rc = PMC_OK;
    if (!counts || !displs || !sendbuf || !recvbuf) {
        rc = pmc_err_set(err, PMC_ENOMEM, "out of memory gathering %zu results", nslots);
        goto done;
    }
    for (size_t i = 0; i < res->n; i++) {
        memcpy(sendbuf + i * item, &res->slots[i], sizeof(uint64_t));
        memcpy(sendbuf + i * item + sizeof(uint64_t), res->records + i * res->record_size,
               res->record_size);
    }
    if (nslots * item > (size_t)2147483647) {
        rc = pmc_err_set(err, PMC_ERUNTIME, "population too large to gather (%zu bytes)",
                         nslots * item);
        goto done;
    }
    int mine = (int)(res->n * item);
    MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, s->comm);
    long total = 0;
    for (int r = 0; r < s->size; r++) {
        displs[r] = (int)total;
        total += counts[r];
    }
    if ((size_t)total != nslots * item) {
        rc = pmc_err_set(err, PMC_ERUNTIME, "internal error: gathered %ld bytes, expected %zu",
                         total, nslots * item);
        goto done;
    }
    MPI_Allgatherv(sendbuf, mine, MPI_BYTE, recvbuf, counts, displs, MPI_BYTE, s->comm);
    for (size_t i = 0; i < nslots; i++) {
        uint64_t slot;
        memcpy(&slot, recvbuf + i * item, sizeof slot);
        if (slot >= nslots) {
            rc = pmc_err_set(err, PMC_ERUNTIME, "internal error: result for slot %llu of %zu",
                             (unsigned long long)slot, nslots);
            goto done;
        }
        memcpy((unsigned char *)records + slot * res->record_size,
               recvbuf + i * item + sizeof(uint64_t), res->record_size);
    }
done:
    free(counts);
    free(displs);
    free(sendbuf);
    free(recvbuf);
    return rc;
}

int pmc_schedule_agree(pmc_schedule *s, int status, pmc_err *err)
{
    pmc_schedule_barrier(s);
    int mine = status != PMC_OK ? s->rank : s->size;
    int first = s->size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, s->comm);
    if (first == s->size)
        return PMC_OK;
    pmc_err local;
    if (s->rank == first) {
        local = *err;
        local.code = status;
    }
    MPI_Bcast(&local, (int)sizeof local, MPI_BYTE, first, s->comm);
    if (err)
        *err = local;
    return local.code;
}

/* busy[0]: wall seconds inside fn, busy[1]: CPU seconds inside fn,
 * busy[2]: CPU seconds of the whole call. */
static void reduce_stats(pmc_schedule *s, const double *busy, double wall, uint64_t requests,
                         pmc_schedule_stats *stats)
{
    double frac = wall > 0 ? busy[0] / wall : 1.0;
    /* CPU used while not simulating, per second of waiting; only meaningful
     * for a rank that mostly waited (a working rank's few "waiting"
     * milliseconds are dominated by timer and scheduling noise). */
    double wait_wall = wall - busy[0];
    double wait_cpu = wait_wall > 0.2 && wait_wall > 0.5 * wall
                          ? (busy[2] - busy[1]) / wait_wall : 0.0;
    double wait_max;
    MPI_Allreduce(&wait_cpu, &wait_max, 1, MPI_DOUBLE, MPI_MAX, s->comm);
    double mn, mx, sum;
    MPI_Allreduce(&frac, &mn, 1, MPI_DOUBLE, MPI_MIN, s->comm);
    MPI_Allreduce(&frac, &mx, 1, MPI_DOUBLE, MPI_MAX, s->comm);
    MPI_Allreduce(&frac, &sum, 1, MPI_DOUBLE, MPI_SUM, s->comm);
    double wmax;
    MPI_Allreduce(&wall, &wmax, 1, MPI_DOUBLE, MPI_MAX, s->comm);
    MPI_Bcast(&requests, 1, MPI_UINT64_T, 0, s->comm);
    if (stats) {
        stats->busy_min = mn;
        stats->busy_max = mx;
        stats->busy_mean = sum / s->size;
        stats->wall = wmax;
        stats->requests = requests;
        stats->wait_cpu_max = wait_max;
    }
}

int pmc_schedule_run_slots(pmc_schedule *s, size_t nslots, size_t record_size, pmc_slot_fn fn,
                           void *ctx, void *records, pmc_schedule_stats *stats, pmc_err *err)
{
    double t0 = pmc_now(), c0 = cpu_now();
    double busy[3] = { 0.0, 0.0, 0.0 };
    local_results res = { 0, 0, record_size, NULL, NULL };
    dispenser d = { .next = 0, .nslots = nslots, .stop = 0, .requests = 0, .s = s };
    pthread_mutex_init(&d.lock, NULL);
    int rc;
    if (s->rank == 0)
        rc = run_rank0(&d, fn, ctx, &res, busy, err);
    else
        rc = run_worker(s, fn, ctx, &res, busy, err);
    pthread_mutex_destroy(&d.lock);
    if (rc != PMC_OK)
        pmc_err_prefix(err, "rank %d", s->rank);
    rc = pmc_schedule_agree(s, rc, err);
    double wall = pmc_now() - t0;
    busy[2] = cpu_now() - c0;
    if (rc == PMC_OK) {
        rc = gather_results(s, &res, nslots, records, err);
        rc = pmc_schedule_agree(s, rc, err);
    }
    reduce_stats(s, busy, wall, d.requests, stats);
    results_free(&res);
    return rc;
}

int pmc_schedule_allgather_blocks(pmc_schedule *s, double *data, size_t n, size_t stride,
                                  pmc_err *err)
{
    int *counts = malloc((size_t)s->size * sizeof *counts);
    int *displs = malloc((size_t)s->size * sizeof *displs);
    if (!counts || !displs) {
        free(counts);
        free(displs);
        return pmc_err_set(err, PMC_ENOMEM, "out of memory");
    }
    if (n * stride > (size_t)2147483647) {
        free(counts);
        free(displs);
        return pmc_err_set(err, PMC_ERUNTIME, "array too large to gather (%zu values)",
                           n * stride);
    }
    for (int r = 0; r < s->size; r++) {
        size_t lo = n * (size_t)r / (size_t)s->size, hi = n * (size_t)(r + 1) / (size_t)s->size;
        counts[r] = (int)((hi - lo) * stride);
        displs[r] = (int)(lo * stride);
    }
    pmc_schedule_barrier(s);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts, displs, MPI_DOUBLE, s->comm);
    free(counts);
    free(displs);
    return PMC_OK;
}
