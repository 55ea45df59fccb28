// NameThisThread: gives the calling thread a name that `top -H`, perf and gdb show (Linux keeps
// the first 15 bytes), so that an operator can see which part of a restore or backup is busy.
// Thread-safety: names only the calling thread.
#ifndef COFRE_UTIL_THREAD_NAME_H_
#define COFRE_UTIL_THREAD_NAME_H_

#include <pthread.h>

#include <algorithm>
#include <string>

namespace cofre {

inline void NameThisThread(const char* name) {
  std::string shortened(name);
  shortened.resize(std::min<size_t>(shortened.size(), 15));
  pthread_setname_np(pthread_self(), shortened.c_str());  // best effort: only a label
}

}  // namespace cofre

#endif  // COFRE_UTIL_THREAD_NAME_H_
