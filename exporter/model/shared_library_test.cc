#include "exporter/model/shared_library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

// Declared, never defined: not in zlib, so the resolver must say so.
extern "C" int dse_not_in_zlib();

namespace dse {
namespace {

using ::testing::HasSubstr;

#define ZLIB_FUNCTIONS(X) X(zlibVersion) X(crc32)
struct Zlib {
  DSE_LIBRARY_FIELDS(ZLIB_FUNCTIONS)
};
// A function zlib does not have.
#define WRONG_FUNCTIONS(X) X(zlibVersion) X(dse_not_in_zlib)
struct Wrong {
  DSE_LIBRARY_FIELDS(WRONG_FUNCTIONS)
};

TEST(SharedLibrary, LoadsFunctionsTypedByTheHeader) {
  Library<Zlib> library("libz.so.1", "zlib1g");
  auto api = library.Get();
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_STREQ((*api)->zlibVersion(), zlibVersion());
  const unsigned char text[] = "datastore";
  EXPECT_EQ((*api)->crc32(0, text, 9), crc32(0, text, 9));
  EXPECT_EQ(*library.Get(), *api);  // Loaded once.
}

TEST(SharedLibrary, InitRunsOnceAndItsFailureIsTheResult) {
  int calls = 0;
  Library<Zlib> library("libz.so.1", "zlib1g", [&calls](const Zlib& api) {
    ++calls;
    EXPECT_NE(api.zlibVersion, nullptr);  // Resolved before init.
    return absl::InternalError("cannot initialize zlib");
  });
  EXPECT_EQ(library.Get().status().message(), "cannot initialize zlib");
  EXPECT_EQ(library.Get().status().message(), "cannot initialize zlib");
  EXPECT_EQ(calls, 1);
}

TEST(SharedLibrary, MissingLibraryNamesItAndItsPackage) {
  Library<Zlib> library("libdse-no-such-library.so.7", "no-such-package");
  auto api = library.Get();
  ASSERT_FALSE(api.ok());
  EXPECT_THAT(api.status().message(),
              HasSubstr("cannot load libdse-no-such-library.so.7 (Debian "
                        "package no-such-package)"));
  EXPECT_FALSE(library.Get().ok());  // Remembered, not retried.
}

TEST(SharedLibrary, MissingFunctionIsNamed) {
  Library<Wrong> library("libz.so.1", "zlib1g");
  auto api = library.Get();
  ASSERT_FALSE(api.ok());
  EXPECT_THAT(api.status().message(),
              HasSubstr("libz.so.1 has no function dse_not_in_zlib"));
}

}  // namespace
}  // namespace dse
