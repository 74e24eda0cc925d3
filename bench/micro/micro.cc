// SPDX-License-Identifier: MIT
//
// micro.cc - Google Benchmark micro-benchmarks of the image writer's parts
// and of the restorer's lz4 decoder.  Not a test: it measures speed.
//
//   build/bench/micro/mtcp-micro --benchmark_min_time=0.5
//   build/bench/micro/mtcp-micro --benchmark_filter=zero     (a regex over the names)
//   MICRO_DIR=/mnt/nvme build/bench/micro/mtcp-micro --benchmark_filter=sink
//
// Each benchmark reports bytes per second (SetBytesProcessed); see
// bench/micro/README.md for what the bytes are in each.  The data and the
// set-up are in shim.c (plain C); this file only registers and loops.
// Times are CPU times, except for the sink (I/O: wall-clock time).

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <lz4.h> // has its own extern "C"

extern "C" {
// The project's headers have no extern "C" of their own; these four
// compile as C++.  (crc32c.h and image-format.h do not - C-only casts and
// _Static_assert - and sink.h pulls in liburing.h, whose C++ part must not
// be inside extern "C": the sink is used through the shim only.)
#include "zero_check.h"
#include "page_scan.h"
#include "chunk.h"
#include "lz4_block.h"
}
#include "shim.h" // its own extern "C"

namespace {

const int64_t kBuf = SHIM_BUF_LEN;
const int64_t kChunk = SHIM_CHUNK;
const int64_t kChunks = kBuf / kChunk;

const char *data_or_skip(benchmark::State &state, int kind)
{
	const char *d = shim_data(kind);
	if (!d)
		state.SkipWithError(shim_error());
	return d;
}

// 1. Zero check: zc_page_is_zero on each page of 64 MiB.  Zero pages are
// the worst case (the whole page is read); random pages leave after their
// first 64 bytes.  Bytes = the pages judged.
void BM_zc_page_is_zero(benchmark::State &state, int kind)
{
	const char *buf = data_or_skip(state, kind);
	if (!buf)
		return;
	for (auto _ : state) {
		size_t zero = 0;
		for (int64_t off = 0; off < kBuf; off += ZC_PAGE)
			zero += (size_t)zc_page_is_zero(buf + off);
		benchmark::DoNotOptimize(zero);
	}
	state.SetBytesProcessed(state.iterations() * kBuf);
	state.counters["pages/s"] = benchmark::Counter(
		(double)state.iterations() * (double)(kBuf / ZC_PAGE), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_zc_page_is_zero, zero_pages, (int)SHIM_ZERO)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_zc_page_is_zero, random_pages, (int)SHIM_RANDOM)->Unit(benchmark::kMillisecond);

// 2. Page classification: ps_scan over a 1 GiB anonymous mapping with one
// page written in every 64th (4096 present pages, 4096 runs), on each back
// end.  Bytes = the mapping's size.  The every_4096 variants (one page in
// 16 MiB: 7 of 8 page tables absent) show what the ioctl saves on holes;
// with a page in every 64th, every page table exists and both back ends
// walk all 262144 entries.
const size_t kSparseLen = 1ul << 30;

void BM_ps_scan(benchmark::State &state, int force_pagemap, size_t every)
{
	char *base = shim_sparse_map(kSparseLen, every);
	struct page_scan ps;
	if (!base) {
		state.SkipWithError(shim_error());
		return;
	}
	if (shim_scan_open(&ps, force_pagemap)) {
		state.SkipWithError(shim_error());
		return;
	}
	uint64_t start = (uint64_t)(uintptr_t)base, end = start + kSparseLen;
	struct shim_scan_count c = {0, 0};
	for (auto _ : state) {
		c.runs = c.pages = 0;
		int rc = ps_scan(&ps, start, end, shim_count_run, &c);
		if (rc) {
			state.SkipWithError(strerror(-rc));
			break;
		}
		benchmark::DoNotOptimize(c);
	}
	shim_scan_close(&ps);
	if (c.pages != kSparseLen / 4096 / every)
		state.SkipWithError("ps_scan did not find the written pages");
	state.SetBytesProcessed(state.iterations() * (int64_t)kSparseLen);
	state.counters["runs"] = (double)c.runs;
}
BENCHMARK_CAPTURE(BM_ps_scan, scan_ioctl, 0, 64)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ps_scan, proc_pagemap, 1, 64)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ps_scan, scan_ioctl_every_4096, 0, 4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ps_scan, proc_pagemap_every_4096, 1, 4096)->Unit(benchmark::kMicrosecond);

// 3. Chunk encoding: chunk_encode of 1 MiB chunks, with the flags memory.c
// sets by default (DIRECT | LZ4 | ZERO, lz4 acceleration 1), going round the
// 64 chunks of 64 MiB of data.  Bytes = the chunk's memory.  Counters:
// ratio = memory / bytes stored (zero pages store nothing; raw pieces their
// length; record headers not counted), lz4 = share of the memory stored
// lz4-compressed, zero = share dropped as zero pages.
void BM_chunk_encode(benchmark::State &state, int kind)
{
	const char *buf = data_or_skip(state, kind);
	struct shim_chunk c;
	if (!buf)
		return;
	if (shim_chunk_new(&c)) {
		state.SkipWithError(shim_error());
		return;
	}
	struct chunk_job *j = c.job;
	uint64_t in = 0, stored = 0, lz4 = 0, zero = 0;
	int64_t i = 0;
	for (auto _ : state) {
		j->addr = (uint64_t)(uintptr_t)(buf + (i++ % kChunks) * kChunk);
		j->len = kChunk;
		j->flags = shim_chunk_flags();
		j->lz4_accel = 1;
		chunk_encode(j, c.lz4_state);
		benchmark::DoNotOptimize(j->out_used);
		in += j->len;
		stored += shim_chunk_stored(j);
		lz4 += j->lz4_in;
		zero += j->zero_bytes;
	}
	shim_chunk_free(&c);
	state.SetBytesProcessed(state.iterations() * kChunk);
	if (in) {
		state.counters["ratio"] = stored ? (double)in / (double)stored : 0;
		state.counters["lz4"] = (double)lz4 / (double)in;
		state.counters["zero"] = (double)zero / (double)in;
	}
}
BENCHMARK_CAPTURE(BM_chunk_encode, random, (int)SHIM_RANDOM)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_chunk_encode, heap, (int)SHIM_HEAP)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_chunk_encode, libs, (int)SHIM_LIBS)->Unit(benchmark::kMicrosecond);

// Baselines for chunk_encode, on the same chunks: liblz4 alone on the whole
// 1 MiB (what chunk_encode calls, without its lz4 sample, zero check and
// crc), and crc32c alone (src/common/crc32c.h, through the shim).
void BM_LZ4_compress_fast_extState(benchmark::State &state, int kind)
{
	const char *buf = data_or_skip(state, kind);
	struct shim_chunk c;
	if (!buf)
		return;
	if (shim_chunk_new(&c)) {
		state.SkipWithError(shim_error());
		return;
	}
	int64_t i = 0, out = 0;
	for (auto _ : state) {
		int n = LZ4_compress_fast_extState(c.lz4_state, buf + (i++ % kChunks) * kChunk,
						   c.job->out, (int)kChunk, (int)CHUNK_OUT_CAP, 1);
		benchmark::DoNotOptimize(n);
		out += n;
	}
	shim_chunk_free(&c);
	state.SetBytesProcessed(state.iterations() * kChunk);
	if (out)
		state.counters["ratio"] = (double)(state.iterations() * kChunk) / (double)out;
}
BENCHMARK_CAPTURE(BM_LZ4_compress_fast_extState, heap, (int)SHIM_HEAP)
	->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LZ4_compress_fast_extState, libs, (int)SHIM_LIBS)
	->Unit(benchmark::kMicrosecond);

void BM_crc32c(benchmark::State &state, int kind)
{
	const char *buf = data_or_skip(state, kind);
	if (!buf)
		return;
	int64_t i = 0;
	for (auto _ : state) {
		uint32_t crc = shim_crc32c(buf + (i++ % kChunks) * kChunk, (size_t)kChunk);
		benchmark::DoNotOptimize(crc);
	}
	state.SetBytesProcessed(state.iterations() * kChunk);
}
BENCHMARK_CAPTURE(BM_crc32c, random, (int)SHIM_RANDOM)->Unit(benchmark::kMicrosecond);

// 4. The sink: 64 MiB of random data written in 1 MiB writes to a new file
// in MICRO_DIR (default /var/tmp), through io_uring (sink_open want_uring=1)
// or pwrite (want_uring=0), through the page cache or a second fd opened
// O_DIRECT (memory, offsets and lengths page aligned).  prealloc:1
// fallocates the 64 MiB first, inside the timed part, as memory.c does.
// Between iterations (not timed) the file is unlinked and created again.
//
// NO fsync inside the timed loop when fsync:0: buffered writes then only
// fill the page cache (64 MiB is far below the dirty limits, and the file
// is unlinked before writeback starts), so that measures the copy into the
// page cache, not the disk.  fsync:1 adds one fsync at the end of each
// iteration: the time to get 64 MiB onto the disk.
// Bytes = 64 MiB per iteration; wall-clock time.
void BM_sink(benchmark::State &state)
{
	struct shim_sink_bench b;
	memset(&b, 0, sizeof(b));
	b.want_uring = (int)state.range(0);
	b.direct = (int)state.range(1);
	b.prealloc = (int)state.range(2);
	b.fsync_end = (int)state.range(3);
	if (shim_sink_setup(&b)) {
		state.SkipWithError(shim_error());
		shim_sink_teardown(&b);
		return;
	}
	bool first = true;
	for (auto _ : state) {
		if (!first) {
			state.PauseTiming();
			int rc = shim_sink_reset(&b);
			state.ResumeTiming();
			if (rc) {
				state.SkipWithError(shim_error());
				break;
			}
		}
		first = false;
		if (shim_sink_run(&b)) {
			state.SkipWithError(shim_error());
			break;
		}
	}
	shim_sink_teardown(&b);
	state.SetBytesProcessed(state.iterations() * (int64_t)b.total);
	std::string label = b.uring_used ? "io_uring" : "pwrite";
	if (b.direct)
		label += b.direct_used ? " O_DIRECT" : " O_DIRECT refused: page cache";
	state.SetLabel(label);
}
BENCHMARK(BM_sink)
	->ArgNames({"uring", "direct", "prealloc", "fsync"})
	->ArgsProduct({{1, 0}, {0, 1}, {0, 1}, {0, 1}})
	->UseRealTime()
	->Unit(benchmark::kMillisecond);

// 5. The restorer's decompression: lz4_block_decode (src/common/lz4_block.c)
// of 1 MiB chunks compressed by liblz4's LZ4_compress_default, going round
// the 64 blocks of 64 MiB of data, into one 1 MiB buffer; liblz4's
// LZ4_decompress_safe on the same blocks is the baseline.  Bytes = the
// decompressed bytes.  Counter ratio = decompressed / compressed.
template <bool ours>
void lz4_decode(benchmark::State &state, int kind)
{
	const struct shim_lz4_set *set = shim_lz4_blocks(kind);
	char *dst = shim_alloc(kChunk);
	if (!set || !dst) {
		state.SkipWithError(shim_error());
		return;
	}
	int64_t i = 0;
	for (auto _ : state) {
		int b = (int)(i++ % set->n);
		long n;
		if (ours)
			n = lz4_block_decode(set->comp[b], (size_t)set->clen[b], dst, (size_t)kChunk);
		else
			n = LZ4_decompress_safe(set->comp[b], dst, set->clen[b], (int)kChunk);
		if (n != kChunk) {
			state.SkipWithError("decode failed");
			break;
		}
		benchmark::ClobberMemory();
	}
	state.SetBytesProcessed(state.iterations() * kChunk);
	state.counters["ratio"] = (double)set->in_bytes / (double)set->out_bytes;
}
void BM_lz4_block_decode(benchmark::State &state, int kind)
{
	lz4_decode<true>(state, kind);
}
void BM_LZ4_decompress_safe(benchmark::State &state, int kind)
{
	lz4_decode<false>(state, kind);
}
BENCHMARK_CAPTURE(BM_lz4_block_decode, libs, (int)SHIM_LIBS)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LZ4_decompress_safe, libs, (int)SHIM_LIBS)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_lz4_block_decode, heap, (int)SHIM_HEAP)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LZ4_decompress_safe, heap, (int)SHIM_HEAP)->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::AddCustomContext("micro_dir", shim_micro_dir());
	benchmark::AddCustomContext("page_scan", shim_scan_backend_name());
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
