#include "crypto/passphrase.h"

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace kura::crypto {
namespace {

TEST(PassphraseTest, DeterministicAndSaltDependent) {
  std::vector<uint8_t> salt(16, 7), other_salt(16, 8);
  auto a = DeriveKeyFromPassphrase("correct horse", salt);
  auto b = DeriveKeyFromPassphrase("correct horse", salt);
  auto c = DeriveKeyFromPassphrase("correct horse", other_salt);
  auto d = DeriveKeyFromPassphrase("correct horsf", salt);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_TRUE(a->Equals(*b));
  EXPECT_FALSE(a->Equals(*c));
  EXPECT_FALSE(a->Equals(*d));
}

TEST(PassphraseTest, RefusesEmptyPassphraseAndShortSalt) {
  std::vector<uint8_t> salt(16, 1), short_salt(8, 1);
  EXPECT_EQ(DeriveKeyFromPassphrase("", salt).status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveKeyFromPassphrase("x", short_salt).status().code(), base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::crypto
