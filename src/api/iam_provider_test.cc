#include "api/iam_provider.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/sts_provider.h"
#include "iam/test_identity_store.h"
#include "crypto/random.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::api {
namespace {

using nlohmann::json;

constexpr char kAccount[] = "111122223333";
constexpr char kRootArn[] = "arn:aws:iam::111122223333:root";

std::string UrlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

class IamProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = iam::OpenTestIdentityStore();
    ASSERT_TRUE(store_->CreateAccount(kAccount, "main").ok());
    provider_ = std::make_unique<IamProvider>(store_);
    root_.request_id = "req-1";
    root_.caller = iam::Principal{kAccount, kRootArn, kAccount, ""};
    root_.region = "us-east-1";
  }

  base::Result<json> Call(std::string_view op, const json& input, const CallContext& ctx) {
    return provider_->Call(op, input, ctx);
  }
  json MustCall(std::string_view op, const json& input, const CallContext& ctx) {
    auto r = Call(op, input, ctx);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }
  json MustCall(std::string_view op, const json& input) { return MustCall(op, input, root_); }
  WireError ErrorOf(std::string_view op, const json& input, const CallContext& ctx) {
    auto r = Call(op, input, ctx);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded: " << (r.ok() ? r->dump() : "");
    if (r.ok()) return WireError{};
    return provider_->MapError(r.status());
  }
  WireError ErrorOf(std::string_view op, const json& input) { return ErrorOf(op, input, root_); }

  // A context signed by a new access key of `user_name` (created by the root).
  CallContext UserContext(const std::string& user_name) {
    auto key = store_->CreateAccessKey(kAccount, user_name);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    auto cred = store_->LookupAccessKey(key->key.access_key_id);
    EXPECT_TRUE(cred.ok() && cred->has_value());
    CallContext ctx = root_;
    ctx.caller = (*cred)->principal;
    ctx.access_key_id = key->key.access_key_id;
    return ctx;
  }

  std::shared_ptr<iam::IdentityStore> store_;
  std::unique_ptr<IamProvider> provider_;
  CallContext root_;
};

TEST_F(IamProviderTest, ServiceName) {
  EXPECT_EQ(provider_->service(), "iam");
  EXPECT_EQ(StsProvider().service(), "sts");
}

TEST_F(IamProviderTest, CreateAndGetUser) {
  json created = MustCall("CreateUser", {{"UserName", "alice"}, {"Path", "/eng/"}});
  const json& u = created["User"];
  EXPECT_EQ(u["UserName"], "alice");
  EXPECT_EQ(u["Path"], "/eng/");
  EXPECT_EQ(u["Arn"], "arn:aws:iam::111122223333:user/eng/alice");
  EXPECT_EQ(u["UserId"].get<std::string>().substr(0, 4), "AIDA");
  EXPECT_TRUE(u["CreateDate"].is_number());

  json got = MustCall("GetUser", {{"UserName", "alice"}});
  EXPECT_EQ(got["User"], u);

  json plain = MustCall("CreateUser", {{"UserName", "bob"}});
  EXPECT_EQ(plain["User"]["Path"], "/");
  EXPECT_EQ(plain["User"]["Arn"], "arn:aws:iam::111122223333:user/bob");
}

TEST_F(IamProviderTest, GetUserWithoutNameAsRoot) {
  json got = MustCall("GetUser", json::object());
  const json& u = got["User"];
  EXPECT_EQ(u["UserId"], kAccount);
  EXPECT_EQ(u["Arn"], kRootArn);
  EXPECT_TRUE(u["CreateDate"].is_number());
  EXPECT_FALSE(u.contains("UserName"));
  EXPECT_FALSE(u.contains("Path"));
}

TEST_F(IamProviderTest, GetUserWithoutNameAsUser) {
  json alice = MustCall("CreateUser", {{"UserName", "alice"}})["User"];
  CallContext ctx = UserContext("alice");
  WireError denied = ErrorOf("GetUser", json::object(), ctx);
  EXPECT_EQ(denied.code, "AccessDenied");
  EXPECT_EQ(denied.http_status, 403);
  EXPECT_EQ(denied.message,
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:GetUser on resource: "
            "arn:aws:iam::111122223333:user/alice");

  MustCall("PutUserPolicy",
           {{"UserName", "alice"},
            {"PolicyName", "self"},
            {"PolicyDocument",
             R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser",)"
             R"("Resource":"arn:aws:iam::111122223333:user/${aws:username}"}]})"}});
  json got = MustCall("GetUser", json::object(), ctx);
  EXPECT_EQ(got["User"], alice);
  // Only herself.
  MustCall("CreateUser", {{"UserName", "bob"}});
  EXPECT_EQ(ErrorOf("GetUser", {{"UserName", "bob"}}, ctx).code, "AccessDenied");
}

TEST_F(IamProviderTest, UserAuthorization) {
  MustCall("CreateUser", {{"UserName", "admin"}});
  CallContext ctx = UserContext("admin");
  WireError denied = ErrorOf("CreateUser", {{"UserName", "carol"}}, ctx);
  EXPECT_EQ(denied.code, "AccessDenied");
  EXPECT_EQ(denied.http_status, 403);
  EXPECT_EQ(denied.message,
            "User: arn:aws:iam::111122223333:user/admin is not authorized to perform: iam:CreateUser on resource: "
            "arn:aws:iam::111122223333:user/carol");
  EXPECT_EQ(ErrorOf("ListUsers", json::object(), ctx).code, "AccessDenied");
  // Denied comes before NoSuchEntity, as AWS.
  EXPECT_EQ(ErrorOf("DeleteUser", {{"UserName", "nobody"}}, ctx).code, "AccessDenied");

  MustCall("PutUserPolicy",
           {{"UserName", "admin"},
            {"PolicyName", "iam"},
            {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[)"
                               R"({"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:user/*"},)"
                               R"({"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]})"}});
  json carol = MustCall("CreateUser", {{"UserName", "carol"}}, ctx);
  EXPECT_EQ(carol["User"]["UserName"], "carol");
  EXPECT_EQ(MustCall("ListUsers", json::object(), ctx)["Users"].size(), 2u);
  WireError explicit_deny = ErrorOf("DeleteUser", {{"UserName", "carol"}}, ctx);
  EXPECT_EQ(explicit_deny.code, "AccessDenied");
  EXPECT_EQ(explicit_deny.message,
            "User: arn:aws:iam::111122223333:user/admin is not authorized to perform: iam:DeleteUser on resource: "
            "arn:aws:iam::111122223333:user/carol");
  // Own key without a user name.
  json key = MustCall("CreateAccessKey", json::object(), ctx);
  EXPECT_EQ(key["AccessKey"]["UserName"], "admin");
  EXPECT_EQ(MustCall("ListAccessKeys", json::object(), ctx)["AccessKeyMetadata"].size(), 2u);
}

TEST_F(IamProviderTest, ListUsersPaging) {
  for (const char* name : {"dave", "alice", "Erin", "bob", "carol"}) MustCall("CreateUser", {{"UserName", name}});
  MustCall("CreateUser", {{"UserName", "zed"}, {"Path", "/ops/"}});

  json all = MustCall("ListUsers", json::object());
  EXPECT_EQ(all["IsTruncated"], false);
  EXPECT_FALSE(all.contains("Marker"));
  ASSERT_EQ(all["Users"].size(), 6u);

  std::vector<std::string> names;
  json input = {{"MaxItems", 2}};
  for (int pages = 0; pages < 10; ++pages) {
    json page = MustCall("ListUsers", input);
    EXPECT_LE(page["Users"].size(), 2u);
    for (const auto& u : page["Users"]) names.push_back(u["UserName"]);
    if (!page["IsTruncated"].get<bool>()) {
      EXPECT_FALSE(page.contains("Marker"));
      break;
    }
    ASSERT_TRUE(page["Marker"].is_string());
    input["Marker"] = page["Marker"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"alice", "bob", "carol", "dave", "Erin", "zed"}));

  json ops = MustCall("ListUsers", {{"PathPrefix", "/ops/"}});
  ASSERT_EQ(ops["Users"].size(), 1u);
  EXPECT_EQ(ops["Users"][0]["UserName"], "zed");

  EXPECT_EQ(ErrorOf("ListUsers", {{"MaxItems", 0}}).code, "ValidationError");
}

TEST_F(IamProviderTest, AccessKeys) {
  // Root's own key.
  json root_key = MustCall("CreateAccessKey", json::object());
  const json& k = root_key["AccessKey"];
  EXPECT_FALSE(k.contains("UserName"));
  EXPECT_EQ(k["AccessKeyId"].get<std::string>().substr(0, 4), "AKIA");
  EXPECT_EQ(k["SecretAccessKey"].get<std::string>().size(), 40u);
  EXPECT_EQ(k["Status"], "Active");
  EXPECT_TRUE(k["CreateDate"].is_number());
  json root_list = MustCall("ListAccessKeys", json::object());
  ASSERT_EQ(root_list["AccessKeyMetadata"].size(), 1u);
  EXPECT_EQ(root_list["AccessKeyMetadata"][0]["AccessKeyId"], k["AccessKeyId"]);
  EXPECT_FALSE(root_list["AccessKeyMetadata"][0].contains("SecretAccessKey"));
  EXPECT_EQ(root_list["IsTruncated"], false);

  MustCall("CreateUser", {{"UserName", "alice"}});
  json a1 = MustCall("CreateAccessKey", {{"UserName", "alice"}});
  EXPECT_EQ(a1["AccessKey"]["UserName"], "alice");
  MustCall("CreateAccessKey", {{"UserName", "alice"}});
  WireError limit = ErrorOf("CreateAccessKey", {{"UserName", "alice"}});
  EXPECT_EQ(limit.code, "LimitExceeded");
  EXPECT_EQ(limit.http_status, 409);
  EXPECT_EQ(limit.message, "Cannot exceed quota for AccessKeysPerUser: 2");

  json list = MustCall("ListAccessKeys", {{"UserName", "alice"}});
  ASSERT_EQ(list["AccessKeyMetadata"].size(), 2u);
  for (const auto& m : list["AccessKeyMetadata"]) EXPECT_EQ(m["UserName"], "alice");

  WireError conflict = ErrorOf("DeleteUser", {{"UserName", "alice"}});
  EXPECT_EQ(conflict.code, "DeleteConflict");
  EXPECT_EQ(conflict.http_status, 409);
  EXPECT_EQ(conflict.message, "Cannot delete entity, must delete access keys first.");

  for (const auto& m : list["AccessKeyMetadata"]) {
    EXPECT_EQ(MustCall("DeleteAccessKey", {{"UserName", "alice"}, {"AccessKeyId", m["AccessKeyId"]}}), json::object());
  }
  WireError gone = ErrorOf("DeleteAccessKey", {{"UserName", "alice"}, {"AccessKeyId", a1["AccessKey"]["AccessKeyId"]}});
  EXPECT_EQ(gone.code, "NoSuchEntity");
  EXPECT_EQ(gone.http_status, 404);
  EXPECT_EQ(MustCall("DeleteUser", {{"UserName", "alice"}}), json::object());

  EXPECT_EQ(ErrorOf("CreateAccessKey", {{"UserName", "nobody"}}).code, "NoSuchEntity");
  EXPECT_EQ(ErrorOf("DeleteAccessKey", json::object()).code, "ValidationError");
}

TEST_F(IamProviderTest, UserPolicies) {
  MustCall("CreateUser", {{"UserName", "alice"}});
  const std::string doc =
      "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"iam:GetUser\", "
      "\"Resource\": \"*\"}]\n}";
  EXPECT_EQ(MustCall("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p1"}, {"PolicyDocument", doc}}),
            json::object());
  json got = MustCall("GetUserPolicy", {{"UserName", "ALICE"}, {"PolicyName", "p1"}});
  EXPECT_EQ(got["UserName"], "alice");
  EXPECT_EQ(got["PolicyName"], "p1");
  const std::string encoded = got["PolicyDocument"];
  EXPECT_EQ(encoded.find('{'), std::string::npos);
  EXPECT_EQ(encoded.find(' '), std::string::npos);
  EXPECT_EQ(encoded.substr(0, 9), "%7B%0A%20");
  EXPECT_EQ(UrlDecode(encoded), doc);

  MustCall("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p0"}, {"PolicyDocument", doc}});
  json names = MustCall("ListUserPolicies", {{"UserName", "alice"}});
  EXPECT_EQ(names["PolicyNames"], json::array({"p0", "p1"}));
  EXPECT_EQ(names["IsTruncated"], false);
  json first = MustCall("ListUserPolicies", {{"UserName", "alice"}, {"MaxItems", 1}});
  EXPECT_EQ(first["PolicyNames"], json::array({"p0"}));
  EXPECT_EQ(first["IsTruncated"], true);
  json second = MustCall("ListUserPolicies", {{"UserName", "alice"}, {"MaxItems", 1}, {"Marker", first["Marker"]}});
  EXPECT_EQ(second["PolicyNames"], json::array({"p1"}));
  EXPECT_EQ(second["IsTruncated"], false);

  WireError malformed =
      ErrorOf("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "bad"}, {"PolicyDocument", "{not json"}});
  EXPECT_EQ(malformed.code, "MalformedPolicyDocument");
  EXPECT_EQ(malformed.http_status, 400);
  EXPECT_FALSE(malformed.message.empty());

  WireError conflict = ErrorOf("DeleteUser", {{"UserName", "alice"}});
  EXPECT_EQ(conflict.code, "DeleteConflict");
  EXPECT_EQ(conflict.message, "Cannot delete entity, must delete policies first.");

  EXPECT_EQ(MustCall("DeleteUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p0"}}), json::object());
  WireError missing = ErrorOf("GetUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p0"}});
  EXPECT_EQ(missing.code, "NoSuchEntity");
  EXPECT_EQ(missing.message, "The user policy with name p0 cannot be found.");
  EXPECT_EQ(ErrorOf("DeleteUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p0"}}).code, "NoSuchEntity");
  EXPECT_EQ(ErrorOf("PutUserPolicy", {{"UserName", "alice"}, {"PolicyName", "p"}}).code, "ValidationError");
}

TEST_F(IamProviderTest, Errors) {
  MustCall("CreateUser", {{"UserName", "alice"}});
  WireError dup = ErrorOf("CreateUser", {{"UserName", "alice"}});
  EXPECT_EQ(dup.code, "EntityAlreadyExists");
  EXPECT_EQ(dup.http_status, 409);
  EXPECT_EQ(dup.message, "User with name alice already exists.");
  EXPECT_TRUE(dup.sender_fault);

  WireError missing = ErrorOf("GetUser", {{"UserName", "nobody"}});
  EXPECT_EQ(missing.code, "NoSuchEntity");
  EXPECT_EQ(missing.http_status, 404);
  EXPECT_EQ(missing.message, "The user with name nobody cannot be found.");

  WireError no_name = ErrorOf("CreateUser", json::object());
  EXPECT_EQ(no_name.code, "ValidationError");
  EXPECT_EQ(no_name.http_status, 400);

  WireError bad_name = ErrorOf("CreateUser", {{"UserName", "no spaces"}});
  EXPECT_EQ(bad_name.code, "ValidationError");
  EXPECT_EQ(bad_name.http_status, 400);

  EXPECT_EQ(ErrorOf("CreateUser", {{"UserName", "x"}, {"Path", "nope"}}).code, "ValidationError");
  EXPECT_EQ(ErrorOf("DeleteUser", {{"UserName", "nobody"}}).code, "NoSuchEntity");

  WireError unknown = ErrorOf("CreateRole", {{"RoleName", "r"}});
  EXPECT_EQ(unknown.code, "InvalidAction");
  EXPECT_EQ(unknown.http_status, 400);

  WireError internal = provider_->MapError(base::InternalError("disk on fire"));
  EXPECT_EQ(internal.code, "ServiceFailure");
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_FALSE(internal.sender_fault);
}

TEST(UrlEncodePolicyDocumentTest, EncodesLikeAws) {
  EXPECT_EQ(UrlEncodePolicyDocument(R"({"a": "b c/*"})"), "%7B%22a%22%3A%20%22b%20c%2F%2A%22%7D");
  EXPECT_EQ(UrlEncodePolicyDocument("Az09-_.~"), "Az09-_.~");
  EXPECT_EQ(UrlEncodePolicyDocument("\xc3\xa9+"), "%C3%A9%2B");
}

TEST_F(IamProviderTest, StsGetCallerIdentity) {
  StsProvider sts;
  auto root = sts.Call("GetCallerIdentity", json::object(), root_);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, (json{{"Account", kAccount}, {"Arn", kRootArn}, {"UserId", kAccount}}));

  json alice = MustCall("CreateUser", {{"UserName", "alice"}, {"Path", "/eng/"}})["User"];
  CallContext ctx = UserContext("alice");
  // No policies at all, and still allowed.
  auto user = sts.Call("GetCallerIdentity", json::object(), ctx);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ((*user)["Account"], kAccount);
  EXPECT_EQ((*user)["Arn"], "arn:aws:iam::111122223333:user/eng/alice");
  EXPECT_EQ((*user)["UserId"], alice["UserId"]);

  auto other = sts.Call("AssumeRole", json::object(), root_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(sts.MapError(other.status()).code, "InvalidAction");
}

}  // namespace
}  // namespace kura::api
