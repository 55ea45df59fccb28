#include "util/shared_library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "util/curl_library.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(SharedLibraryTest, BindsAFunctionOfALoadedLibrary) {
  StatusOr<SharedLibrary> libc = SharedLibrary::Open("libc.so.6", "libc6");
  ASSERT_THAT(libc, IsOk());
  decltype(&std::strlen) strlen_fn = nullptr;
  ASSERT_THAT(libc->Bind("strlen", &strlen_fn), IsOk());
  ASSERT_NE(strlen_fn, nullptr);
  EXPECT_EQ(strlen_fn("cofre"), 5u);
}

TEST(SharedLibraryTest, AMissingLibraryNamesItsPackage) {
  StatusOr<SharedLibrary> lib = SharedLibrary::Open("libcofre-absent.so.9", "cofre-absent9");
  EXPECT_THAT(lib, StatusIs(StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("cannot load libcofre-absent.so.9"),
                                  HasSubstr("install the package cofre-absent9"))));
}

TEST(SharedLibraryTest, AMissingSymbolIsRefusedNamingIt) {
  StatusOr<SharedLibrary> libc = SharedLibrary::Open("libc.so.6", "libc6");
  ASSERT_THAT(libc, IsOk());
  void (*fn)() = nullptr;
  EXPECT_THAT(libc->Bind("cofre_no_such_function", &fn),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("libc.so.6 has no symbol cofre_no_such_function"),
                             HasSubstr("libc6"))));
  EXPECT_EQ(fn, nullptr);
}

// libcurl is loaded with every function the HTTP client calls, once.
TEST(CurlLibraryTest, LoadsOnceWithEveryFunction) {
  StatusOr<const CurlLibrary*> curl = CurlLibrary::Get();
  ASSERT_THAT(curl, IsOk());
  const CurlLibrary& c = **curl;
  EXPECT_NE(c.curl_easy_init, nullptr);
  EXPECT_NE(c.curl_multi_strerror, nullptr);
  EXPECT_STREQ(c.curl_easy_strerror(CURLE_OK), "No error");
  StatusOr<const CurlLibrary*> again = CurlLibrary::Get();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *curl);
}

}  // namespace
}  // namespace cofre
