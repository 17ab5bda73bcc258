#include "api/admin_handler.h"

#include <nlohmann/json.hpp>

#include <cctype>

#include <gtest/gtest.h>

#include "iam/test_identity_store.h"
#include "client/sigv4.h"
#include "crypto/random.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::api {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1735689600;  // 2025-01-01T00:00:00Z
constexpr char kOperator[] = "111111111111";
constexpr char kOther[] = "222222222222";

struct Response {
  int status;
  json body;
};

class AdminHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = iam::OpenTestIdentityStore();
    // A later account with a lower id must not become the operator.
    ASSERT_TRUE(store_->CreateAccount(kOperator, "bootstrap").ok());
    ASSERT_TRUE(store_->CreateAccount(kOther, "other").ok());
    ASSERT_TRUE(store_->CreateAccount("000000000001", "low").ok());
    ASSERT_TRUE(store_->CreateAccessKey(kOperator, "", "AKIAOPERATOR0000", "operator-secret").ok());
    ASSERT_TRUE(store_->CreateAccessKey(kOther, "", "AKIAOTHERROOT000", "other-secret").ok());
    ASSERT_TRUE(store_->CreateUser(kOperator, "alice", "/").ok());
    ASSERT_TRUE(store_->CreateAccessKey(kOperator, "alice", "AKIAALICE0000000", "alice-secret").ok());
    handler_ = MakeHandler(true);
  }

  std::unique_ptr<AdminHandler> MakeHandler(bool verify) {
    AdminOptions options;
    options.verify_signatures = verify;
    options.open_account_id = kOther;
    options.clock = [] { return kNow; };
    auto store = store_;
    return std::make_unique<AdminHandler>(options, store_, [store](const std::string& id) -> std::optional<KeyOwner> {
      auto found = store->LookupAccessKey(id);
      if (!found.ok() || !found->has_value()) return std::nullopt;
      return KeyOwner{(*found)->principal, (*found)->secret_access_key};
    });
  }

  static HttpRequest Signed(const std::string& action, const json& body, const std::string& key_id,
                            const std::string& secret, const std::string& service = "kura") {
    client::SignableRequest signable;
    signable.method = "POST";
    signable.path = std::string(kAdminPathPrefix) + action;
    signable.headers = {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}};
    signable.body = body.dump();
    client::SignRequest(signable, client::Credentials{key_id, secret, ""}, "us-east-1", service,
                        client::AmzDate(kNow));
    HttpRequest request;
    request.method = "POST";
    request.target = signable.path;
    for (auto [name, value] : signable.headers) {
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(name, value);
    }
    request.body = signable.body;
    return request;
  }

  Response Call(const HttpRequest& request, AdminHandler* handler = nullptr) {
    auto response = (handler ? handler : handler_.get())->Route(request);
    EXPECT_TRUE(response.has_value());
    if (!response) return {0, json()};
    return {response->status, json::parse(response->body, nullptr, false)};
  }
  Response AsOperator(const std::string& action, const json& body) {
    return Call(Signed(action, body, "AKIAOPERATOR0000", "operator-secret"));
  }

  std::shared_ptr<iam::IdentityStore> store_;
  std::unique_ptr<AdminHandler> handler_;
};

TEST_F(AdminHandlerTest, OtherPathsAreNotRouted) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  EXPECT_FALSE(handler_->Route(request).has_value());
}

TEST_F(AdminHandlerTest, OperatorIsTheBootstrapAccount) {
  auto id = OperatorAccountId(*store_);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, kOperator);
}

TEST_F(AdminHandlerTest, OperatorCreatesAccountsWithARootKey) {
  auto r = AsOperator("CreateAccount", {{"AccountId", "333333333333"}, {"Name", "team"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["AccountId"], "333333333333");
  EXPECT_EQ(r.body["Name"], "team");
  auto found = store_->LookupAccessKey(r.body["AccessKeyId"].get<std::string>());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->principal.arn, "arn:aws:iam::333333333333:root");
  EXPECT_EQ((*found)->secret_access_key, r.body["SecretAccessKey"].get<std::string>());

  auto random = AsOperator("CreateAccount", json::object());
  ASSERT_EQ(random.status, 200) << random.body.dump();
  EXPECT_EQ(random.body["AccountId"].get<std::string>().size(), 12u);

  auto again = AsOperator("CreateAccount", {{"AccountId", "333333333333"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["__type"], "EntityAlreadyExists");
  auto bad = AsOperator("CreateAccount", {{"AccountId", "12"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["__type"], "InvalidInput");
  EXPECT_EQ(AsOperator("CreateAccount", {{"Name", "bootstrap"}}).status, 400);
  EXPECT_EQ(AsOperator("CreateAccount", {{"Bogus", "x"}}).status, 400);
  EXPECT_EQ(AsOperator("CreateAccount", {{"AccountId", 5}}).status, 400);
}

TEST_F(AdminHandlerTest, OperatorCreatesKeysAnywhere) {
  auto r = AsOperator("CreateAccessKey", {{"AccountId", kOther},
                                          {"AccessKeyId", "AKIACHOSEN000000"},
                                          {"SecretAccessKey", "chosen-secret"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["AccessKeyId"], "AKIACHOSEN000000");
  EXPECT_EQ(r.body["SecretAccessKey"], "chosen-secret");
  EXPECT_FALSE(r.body.contains("UserName"));
  auto user = AsOperator("CreateAccessKey", {{"AccountId", kOperator}, {"UserName", "alice"}});
  ASSERT_EQ(user.status, 200) << user.body.dump();
  EXPECT_EQ(user.body["UserName"], "alice");

  EXPECT_EQ(AsOperator("CreateAccessKey", {{"AccountId", "999999999999"}}).status, 404);
  EXPECT_EQ(AsOperator("CreateAccessKey", {{"AccountId", kOther}, {"UserName", "nobody"}}).status, 404);
  EXPECT_EQ(AsOperator("CreateAccessKey", {{"AccountId", kOther}, {"AccessKeyId", "AKIACHOSEN000001"}}).status, 400);
  EXPECT_EQ(AsOperator("CreateAccessKey", json::object()).status, 400);
  auto dup = AsOperator("CreateAccessKey", {{"AccountId", kOperator},
                                            {"AccessKeyId", "AKIACHOSEN000000"},
                                            {"SecretAccessKey", "x"}});
  EXPECT_EQ(dup.status, 409);
  // Root keys are limited to two, as on AWS: the other account has two now.
  auto third = AsOperator("CreateAccessKey", {{"AccountId", kOther}});
  EXPECT_EQ(third.status, 409);
  EXPECT_EQ(third.body["__type"], "LimitExceeded");
}

TEST_F(AdminHandlerTest, OtherRootsOnlyInTheirOwnAccount) {
  auto own = Call(Signed("CreateAccessKey", {{"AccountId", kOther}}, "AKIAOTHERROOT000", "other-secret"));
  EXPECT_EQ(own.status, 200) << own.body.dump();
  auto foreign = Call(Signed("CreateAccessKey", {{"AccountId", kOperator}}, "AKIAOTHERROOT000", "other-secret"));
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.body["__type"], "AccessDenied");
  auto account = Call(Signed("CreateAccount", json::object(), "AKIAOTHERROOT000", "other-secret"));
  EXPECT_EQ(account.status, 403);
  EXPECT_EQ(account.body["__type"], "AccessDenied");
}

TEST_F(AdminHandlerTest, UsersMayDoNothing) {
  for (const char* action : {"CreateAccount", "CreateAccessKey"}) {
    auto r = Call(Signed(action, {{"AccountId", kOperator}}, "AKIAALICE0000000", "alice-secret"));
    EXPECT_EQ(r.status, 403) << action;
    EXPECT_EQ(r.body["__type"], "AccessDenied");
    EXPECT_NE(r.body["message"].get<std::string>().find("user/alice"), std::string::npos);
  }
}

TEST_F(AdminHandlerTest, AuthenticationFailures) {
  auto wrong = Call(Signed("CreateAccount", json::object(), "AKIAOPERATOR0000", "wrong-secret"));
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.body["__type"], "SignatureDoesNotMatch");
  auto unknown = Call(Signed("CreateAccount", json::object(), "AKIAUNKNOWN00000", "x"));
  EXPECT_EQ(unknown.status, 403);
  EXPECT_EQ(unknown.body["__type"], "InvalidClientTokenId");
  auto service = Call(Signed("CreateAccount", json::object(), "AKIAOPERATOR0000", "operator-secret", "iam"));
  EXPECT_EQ(service.status, 403);
  HttpRequest unsigned_request;
  unsigned_request.method = "POST";
  unsigned_request.target = "/_kura/admin/CreateAccount";
  auto missing = Call(unsigned_request);
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.body["__type"], "MissingAuthenticationToken");
  auto tampered = Signed("CreateAccount", {{"AccountId", "444444444444"}}, "AKIAOPERATOR0000", "operator-secret");
  tampered.body = json{{"AccountId", "555555555555"}}.dump();
  EXPECT_EQ(Call(tampered).status, 403);
  EXPECT_FALSE(store_->GetAccount("555555555555").ok());
}

TEST_F(AdminHandlerTest, UnknownActionAndMethod) {
  auto r = AsOperator("DeleteEverything", json::object());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["__type"], "UnknownOperation");
  auto get = Signed("CreateAccount", json::object(), "AKIAOPERATOR0000", "operator-secret");
  get.method = "GET";
  EXPECT_EQ(Call(get).status, 400);
  auto malformed = Signed("CreateAccount", json::object(), "AKIAOPERATOR0000", "operator-secret");
  malformed.body = "not json";
  // The body is signed: re-sign it as sent.
  client::SignableRequest s{"POST", "/_kura/admin/CreateAccount", "",
                            {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}}, "not json"};
  client::SignRequest(s, client::Credentials{"AKIAOPERATOR0000", "operator-secret", ""}, "us-east-1", "kura",
                      client::AmzDate(kNow));
  malformed.headers.clear();
  for (auto [name, value] : s.headers) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    malformed.headers.emplace_back(name, value);
  }
  auto m = Call(malformed);
  EXPECT_EQ(m.status, 400);
  EXPECT_EQ(m.body["__type"], "InvalidInput");
}

TEST_F(AdminHandlerTest, OpenAuthActsAsTheDefaultAccountRoot) {
  auto open = MakeHandler(false);
  // Any well-formed credential: the caller is the root of kOther, not the operator.
  auto own = Call(Signed("CreateAccessKey", {{"AccountId", kOther}}, "AKIAANYTHING0000", "x"), open.get());
  EXPECT_EQ(own.status, 200) << own.body.dump();
  auto account = Call(Signed("CreateAccount", json::object(), "AKIAANYTHING0000", "x"), open.get());
  EXPECT_EQ(account.status, 403);
}

}  // namespace
}  // namespace kura::api
