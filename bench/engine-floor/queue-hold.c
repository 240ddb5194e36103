// The event-queue floor in C: the calendar queue of hw-model/timing/event-queue.ts
// reduced to its common path (push into the window, pop the earliest), driven by
// the "hold" pattern (pop an event, push one a random 0-999 cycles later, 500
// events live). queue-hold.ts and assembly/queue-hold.ts are the same code in
// TypeScript and AssemblyScript; run.sh builds and times all three.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { BUCKETS = 4096, MASK = BUCKETS - 1, CAPACITY = 65536, LIVE = 500 };

static double eventTime[CAPACITY];
static int32_t eventArg[CAPACITY], nextNode[CAPACITY];
static int32_t head[BUCKETS], tail[BUCKETS];
static uint32_t nonEmpty[BUCKETS / 32];
static int32_t freeNode = -1, usedNodes = 0, curIdx = 0, inCalendar = 0;
static double curAbs = 0, popTime = 0;
static int32_t popArg = 0;
static uint32_t rng = 12345;

static uint32_t nextRandom(void) {
  uint32_t x = rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng = x;
}

static int32_t allocNode(void) {
  if (freeNode < 0) return usedNodes++;
  int32_t node = freeNode;
  freeNode = nextNode[node];
  return node;
}

static void push(double t, int32_t arg) {
  int32_t node = allocNode();
  eventTime[node] = t;
  eventArg[node] = arg;
  double bucket = floor(t);
  if (inCalendar == 0) {
    curAbs = bucket;
    curIdx = (int32_t)(int64_t)curAbs & MASK;
  } else if (bucket < curAbs) bucket = curAbs;
  int32_t idx = (curIdx + (int32_t)(bucket - curAbs)) & MASK;
  int32_t last = tail[idx];
  inCalendar++;
  if (last < 0) {
    head[idx] = tail[idx] = node;
    nextNode[node] = -1;
    nonEmpty[idx >> 5] |= 1u << (idx & 31);
    return;
  }
  if (eventTime[last] <= t) {
    nextNode[last] = node;
    nextNode[node] = -1;
    tail[idx] = node;
    return;
  }
  int32_t prev = -1, at = head[idx];
  while (eventTime[at] <= t) {
    prev = at;
    at = nextNode[at];
  }
  nextNode[node] = at;
  if (prev < 0) head[idx] = node;
  else nextNode[prev] = node;
}

static int32_t advance(void) {
  int32_t words = BUCKETS / 32, start = curIdx, w = start >> 5;
  uint32_t word = nonEmpty[w] & (0xffffffffu << (start & 31));
  for (int32_t k = 0; word == 0 && k < words; k++) {
    w = w + 1 == words ? 0 : w + 1;
    word = nonEmpty[w];
  }
  int32_t idx = (w << 5) | __builtin_ctz(word);
  curAbs += (idx - start) & MASK;
  curIdx = idx;
  return idx;
}

static void pop(void) {
  int32_t idx = head[curIdx] >= 0 ? curIdx : advance();
  int32_t node = head[idx], after = nextNode[node];
  head[idx] = after;
  if (after < 0) {
    tail[idx] = -1;
    nonEmpty[idx >> 5] &= ~(1u << (idx & 31));
  }
  inCalendar--;
  popTime = eventTime[node];
  popArg = eventArg[node];
  nextNode[node] = freeNode;
  freeNode = node;
}

int main(int argc, char **argv) {
  int32_t operations = argc > 1 ? atoi(argv[1]) : 5000000;
  for (int32_t i = 0; i < BUCKETS; i++) head[i] = tail[i] = -1;
  for (int32_t i = 0; i < LIVE; i++) push((double)(nextRandom() % 1000) + 0.5, i);
  struct timespec from, to;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &from);
  double checksum = 0;
  for (int32_t i = 0; i < operations; i++) {
    pop();
    checksum += popTime;
    push(popTime + (double)(nextRandom() % 1000) + 0.25, popArg);
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &to);
  double ns = (to.tv_sec - from.tv_sec) * 1e9 + (to.tv_nsec - from.tv_nsec);
  printf("c %.1f ns per pop+push (checksum %.2f)\n", ns / operations, checksum);
  return 0;
}
