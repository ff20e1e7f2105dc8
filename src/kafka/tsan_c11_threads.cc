// C11 threads (<threads.h>) over pthreads, for ThreadSanitizer builds only (ONCEFLOW_SANITIZE
// contains "thread"; src/CMakeLists.txt links this file into every executable that links
// librdkafka, never into a library).
//
// Why: Debian 12's librdkafka 2.0.2 is built with C11 threads, so it starts its threads with
// thrd_create() and locks with mtx_*/cnd_*. glibc 2.36 implements those on its internal
// pthread functions, not on the exported ones that GCC 12's TSan intercepts. TSan then has no
// thread state for librdkafka's threads (it crashes as soon as instrumented code, e.g. our log
// or delivery callbacks, or its own allocator in getaddrinfo, runs on one) and sees no
// happens-before edge through librdkafka's queues (false races between the thread that produces
// a message and the one that polls it). Defined in the executable, these functions interpose
// librdkafka's imports of glibc's (`nm -D build/tsan/<test>` lists them as defined, `T`), and
// they call the pthread functions TSan does see.
//
// glibc's C11 types are pthread's under other names (its own thrd_*/mtx_*/cnd_* cast them the
// same way); the static_asserts below check that. thrd_equal is left to glibc: it compares two
// ids, touches no thread state, and <threads.h> defines it inline.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <threads.h>
#include <time.h>

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace {

static_assert(std::is_same_v<thrd_t, pthread_t>);
static_assert(std::is_same_v<tss_t, pthread_key_t>);
static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t) &&
              alignof(mtx_t) >= alignof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t) &&
              alignof(cnd_t) >= alignof(pthread_cond_t));
static_assert(sizeof(once_flag) == sizeof(pthread_once_t) &&
              alignof(once_flag) >= alignof(pthread_once_t));

pthread_mutex_t* AsPthread(mtx_t* mutex) { return reinterpret_cast<pthread_mutex_t*>(mutex); }
pthread_cond_t* AsPthread(cnd_t* cond) { return reinterpret_cast<pthread_cond_t*>(cond); }

// A pthread error number as a thrd_* result, as glibc's thrd_err_map() does.
int ThrdResult(int error) {
  switch (error) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    default:
      return thrd_error;
  }
}

// A C11 thread's int result travels through pthread's void* result.
void* ResultAsPointer(int result) {
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(result));
}
int ResultFromPointer(void* result) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(result));
}

// What thrd_create() hands the new thread: a C11 start routine returns int, pthread's void*.
struct ThreadStart {
  thrd_start_t function;
  void* arg;
};

void* RunThreadStart(void* start_ptr) {
  thrd_start_t function = nullptr;
  void* arg = nullptr;
  {
    // Freed before the routine runs, so a thrd_exit() inside it leaks nothing.
    const std::unique_ptr<ThreadStart> start(static_cast<ThreadStart*>(start_ptr));
    function = start->function;
    arg = start->arg;
  }
  return ResultAsPointer(function(arg));
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* arg) {
  std::unique_ptr<ThreadStart> start;
  try {
    start = std::make_unique<ThreadStart>(ThreadStart{function, arg});
  } catch (const std::bad_alloc&) {
    return thrd_nomem;
  }
  const int error = pthread_create(thread, nullptr, &RunThreadStart, start.get());
  if (error != 0) return ThrdResult(error);
  start.release();  // The new thread owns it now.
  return thrd_success;
}

int thrd_join(thrd_t thread, int* result) {
  void* pointer = nullptr;
  const int error = pthread_join(thread, &pointer);
  if (error == 0 && result != nullptr) *result = ResultFromPointer(pointer);
  return ThrdResult(error);
}

int thrd_detach(thrd_t thread) { return ThrdResult(pthread_detach(thread)); }

thrd_t thrd_current(void) { return pthread_self(); }

void thrd_exit(int result) { pthread_exit(ResultAsPointer(result)); }

// C11: 0 when slept the whole time, -1 when interrupted by a signal, below -1 on error.
int thrd_sleep(const struct timespec* duration, struct timespec* remaining) {
  if (nanosleep(duration, remaining) == 0) return 0;
  return errno == EINTR ? -1 : -2;
}

void thrd_yield(void) { sched_yield(); }

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  switch (type) {
    case mtx_plain:
    case mtx_timed:  // POSIX mutexes all have a timed lock.
      pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_NORMAL);
      break;
    case mtx_plain | mtx_recursive:
    case mtx_timed | mtx_recursive:
      pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
      break;
    default:
      pthread_mutexattr_destroy(&attributes);
      return thrd_error;
  }
  const int error = pthread_mutex_init(AsPthread(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return ThrdResult(error);
}

int mtx_lock(mtx_t* mutex) { return ThrdResult(pthread_mutex_lock(AsPthread(mutex))); }

int mtx_trylock(mtx_t* mutex) { return ThrdResult(pthread_mutex_trylock(AsPthread(mutex))); }

int mtx_timedlock(mtx_t* __restrict mutex, const struct timespec* __restrict deadline) {
  return ThrdResult(pthread_mutex_timedlock(AsPthread(mutex), deadline));
}

int mtx_unlock(mtx_t* mutex) { return ThrdResult(pthread_mutex_unlock(AsPthread(mutex))); }

void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(AsPthread(mutex)); }

void call_once(once_flag* flag, void (*function)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

int cnd_init(cnd_t* cond) { return ThrdResult(pthread_cond_init(AsPthread(cond), nullptr)); }

int cnd_signal(cnd_t* cond) { return ThrdResult(pthread_cond_signal(AsPthread(cond))); }

int cnd_broadcast(cnd_t* cond) { return ThrdResult(pthread_cond_broadcast(AsPthread(cond))); }

int cnd_wait(cnd_t* cond, mtx_t* mutex) {
  return ThrdResult(pthread_cond_wait(AsPthread(cond), AsPthread(mutex)));
}

// The deadline is on CLOCK_REALTIME, as C11 and pthread_cond_timedwait's default both say.
int cnd_timedwait(cnd_t* __restrict cond, mtx_t* __restrict mutex,
                  const struct timespec* __restrict deadline) {
  return ThrdResult(pthread_cond_timedwait(AsPthread(cond), AsPthread(mutex), deadline));
}

void cnd_destroy(cnd_t* cond) { pthread_cond_destroy(AsPthread(cond)); }

int tss_create(tss_t* key, tss_dtor_t destructor) {
  return ThrdResult(pthread_key_create(key, destructor));
}

void* tss_get(tss_t key) { return pthread_getspecific(key); }

int tss_set(tss_t key, void* value) { return ThrdResult(pthread_setspecific(key, value)); }

void tss_delete(tss_t key) { pthread_key_delete(key); }

}  // extern "C"
