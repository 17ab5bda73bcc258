// Tests only: an IdentityStore over an in-memory SQLite database with a random
// sealing key, for the tests of every layer that needs identities.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "crypto/random.h"
#include "iam/identity_store.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::iam {

inline std::shared_ptr<IdentityStore> OpenTestIdentityStore() {
  auto db = meta::OpenSqliteDatabase(":memory:");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  auto key = crypto::RandomSecret(32);
  EXPECT_TRUE(key.ok());
  auto store = IdentityStore::Open(std::shared_ptr<meta::Database>(std::move(db).value()), std::move(key).value());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::shared_ptr<IdentityStore>(std::move(store).value());
}

}  // namespace kura::iam
