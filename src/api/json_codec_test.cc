#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "api/codec.h"
#include "api/service_model.h"

namespace kura::api {
namespace {

using nlohmann::json;

// Request bodies captured from botocore 1.43.11 (the PATH python), exactly as
// sent on the wire:
//
//   import botocore.session
//   from botocore.awsrequest import AWSResponse
//   def capture(svc, op, **params):
//       c = botocore.session.get_session().create_client(
//           svc, region_name='us-east-1', endpoint_url='http://x',
//           aws_access_key_id='a', aws_secret_access_key='b')
//       out = {}
//       def before_send(request, **kw):
//           out['body'] = request.body
//           return AWSResponse('http://x', 200, {}, None)
//       c.meta.events.register('before-send', before_send)
//       try: getattr(c, op)(**params)
//       except Exception: pass
//       return out['body']
//   capture('kms', 'encrypt', KeyId='alias/mykey', Plaintext=b'hello',
//           EncryptionContext={'purpose': 'test'})
//   capture('kms', 'create_key', Description='d', KeyUsage='ENCRYPT_DECRYPT',
//           Tags=[{'TagKey': 'k1', 'TagValue': 'v1'}, {'TagKey': 'k2', 'TagValue': 'v2'}])
//   capture('kms', 'create_grant', KeyId='1234abcd-12ab-34cd-56ef-1234567890ab',
//           GranteePrincipal='arn:aws:iam::111122223333:role/r',
//           Operations=['Decrypt', 'GenerateDataKey'],
//           Constraints={'EncryptionContextSubset': {'Department': 'IT'}}, Name='g')
//   capture('kms', 'list_aliases', KeyId='1234abcd-12ab-34cd-56ef-1234567890ab', Limit=10)
constexpr std::string_view kEncryptBody =
    R"({"KeyId": "alias/mykey", "Plaintext": "aGVsbG8=", "EncryptionContext": {"purpose": "test"}})";
constexpr std::string_view kCreateKeyBody =
    R"({"Description": "d", "KeyUsage": "ENCRYPT_DECRYPT", "Tags": [{"TagKey": "k1", "TagValue": "v1"}, {"TagKey": "k2", "TagValue": "v2"}]})";
constexpr std::string_view kCreateGrantBody =
    R"({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "GranteePrincipal": "arn:aws:iam::111122223333:role/r", "Operations": ["Decrypt", "GenerateDataKey"], "Constraints": {"EncryptionContextSubset": {"Department": "IT"}}, "Name": "g"})";
constexpr std::string_view kListAliasesBody = R"({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Limit": 10})";

int Detail(CodecError e) { return static_cast<int>(e); }

class JsonCodecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = ServiceModel::Load("kms");
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    kms_ = *model;
  }
  const Operation& Op(std::string_view name) {
    const Operation* op = kms_->FindOperation(name);
    EXPECT_NE(op, nullptr) << name;
    return *op;
  }
  base::Result<json> Decode(std::string_view op, std::string_view body) { return DecodeJsonRequest(Op(op), body); }

  std::shared_ptr<const ServiceModel> kms_;
};

TEST_F(JsonCodecTest, EncryptWithBlobAndMap) {
  auto doc = Decode("Encrypt", kEncryptBody);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["KeyId"], "alias/mykey");
  ASSERT_TRUE((*doc)["Plaintext"].is_binary());
  const auto& bytes = (*doc)["Plaintext"].get_binary();
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "hello");
  EXPECT_EQ((*doc)["EncryptionContext"], json({{"purpose", "test"}}));
  EXPECT_FALSE(doc->contains("GrantTokens"));
}

TEST_F(JsonCodecTest, CreateKeyWithTags) {
  auto doc = Decode("CreateKey", kCreateKeyBody);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["Description"], "d");
  EXPECT_EQ((*doc)["KeyUsage"], "ENCRYPT_DECRYPT");
  ASSERT_EQ((*doc)["Tags"].size(), 2u);
  EXPECT_EQ((*doc)["Tags"][1]["TagKey"], "k2");
  EXPECT_EQ((*doc)["Tags"][1]["TagValue"], "v2");
}

TEST_F(JsonCodecTest, CreateGrantWithConstraints) {
  auto doc = Decode("CreateGrant", kCreateGrantBody);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["Operations"], json::array({"Decrypt", "GenerateDataKey"}));
  EXPECT_EQ((*doc)["Constraints"]["EncryptionContextSubset"]["Department"], "IT");
  EXPECT_EQ((*doc)["Name"], "g");
}

TEST_F(JsonCodecTest, ListAliasesWithLimit) {
  auto doc = Decode("ListAliases", kListAliasesBody);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["Limit"], 10);
  EXPECT_TRUE((*doc)["Limit"].is_number_integer());
}

TEST_F(JsonCodecTest, EmptyBodyIsEmptyObject) {
  auto doc = Decode("ListKeys", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json::object());
  auto spaces = Decode("ListKeys", " \r\n");
  ASSERT_TRUE(spaces.ok());
}

TEST_F(JsonCodecTest, UnknownMembersAndNullsIgnored) {
  auto doc = Decode("ListAliases", R"({"Limit": 5, "Bogus": [1, 2], "Marker": null})");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"Limit", 5}}));
}

TEST_F(JsonCodecTest, MissingRequiredMember) {
  auto doc = Decode("Encrypt", R"({"Plaintext": "aGVsbG8="})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kMissingParameter));
  EXPECT_EQ(doc.status().message(),
            "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
}

TEST_F(JsonCodecTest, SeveralErrorsAreJoined) {
  auto doc = Decode("Encrypt", "{}");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kMissingParameter));
  EXPECT_EQ(doc.status().message(),
            "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be "
            "null; Value null at 'plaintext' failed to satisfy constraint: Member must not be null");
}

TEST_F(JsonCodecTest, EmptyKeyIdTooShort) {
  auto doc = Decode("DescribeKey", R"({"KeyId": ""})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kConstraint));
  EXPECT_EQ(doc.status().message(),
            "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
}

TEST_F(JsonCodecTest, OverLongValue) {
  const std::string key(2049, 'a');
  auto doc = Decode("DescribeKey", R"({"KeyId": ")" + key + R"("})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kConstraint));
  EXPECT_EQ(doc.status().message(), "1 validation error detected: Value '" + key +
                                        "' at 'keyId' failed to satisfy constraint: Member must have length less "
                                        "than or equal to 2048");
}

TEST_F(JsonCodecTest, LengthCountsCharactersNotBytes) {
  // 128 two-byte characters fit TagKeyType's max of 128.
  std::string key;
  for (int i = 0; i < 128; ++i) key += "\xc3\xa9";
  auto doc = Decode("CreateKey", R"({"Tags": [{"TagKey": ")" + key + R"(", "TagValue": "v"}]})");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
}

TEST_F(JsonCodecTest, NestedPathInMessage) {
  auto doc = Decode("CreateKey", R"({"Tags": [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": "", "TagValue": "v"}]})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member "
            "must have length greater than or equal to 1");
  auto missing = Decode("CreateKey", R"({"Tags": [{"TagKey": "k"}]})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().detail(), Detail(CodecError::kMissingParameter));
  EXPECT_EQ(missing.status().message(),
            "1 validation error detected: Value null at 'tags.1.member.tagValue' failed to satisfy constraint: "
            "Member must not be null");
}

TEST_F(JsonCodecTest, UnknownEnumValue) {
  auto doc = Decode("CreateKey", R"({"KeySpec": "AES_512"})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().detail(), Detail(CodecError::kConstraint));
  const std::string& message = doc.status().message();
  EXPECT_EQ(message.rfind("1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [RSA_2048, ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("SYMMETRIC_DEFAULT"), std::string::npos);
  EXPECT_EQ(message.back(), ']');

  auto ops = Decode("CreateGrant", R"({"KeyId": "k", "GranteePrincipal": "p", "Operations": ["Decrypt", "Fly"]})");
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.status().message().find("Value 'Fly' at 'operations.2.member' failed to satisfy constraint: Member "
                                        "must satisfy enum value set: ["),
            std::string::npos)
      << ops.status().message();
}

TEST_F(JsonCodecTest, NumericRange) {
  auto low = Decode("ListAliases", R"({"Limit": 0})");
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.status().detail(), Detail(CodecError::kConstraint));
  EXPECT_EQ(low.status().message(),
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1");
  auto high = Decode("ListAliases", R"({"Limit": 1001})");
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.status().message(),
            "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have "
            "value less than or equal to 1000");
  auto whole = Decode("ListAliases", R"({"Limit": 5.0})");
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE((*whole)["Limit"].is_number_integer());
}

TEST_F(JsonCodecTest, SensitiveBlobValueNotShown) {
  auto empty = Decode("Encrypt", R"({"KeyId": "k", "Plaintext": ""})");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
  const std::string big(5464, 'A');  // 5464 base64 characters = 4098 bytes
  auto large = Decode("Encrypt", R"({"KeyId": "k", "Plaintext": ")" + big + R"("})");
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.status().message(),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length "
            "less than or equal to 4096");
}

TEST_F(JsonCodecTest, WrongTypes) {
  auto number = Decode("DescribeKey", R"({"KeyId": 5})");
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(number.status().detail(), Detail(CodecError::kMalformed));
  EXPECT_EQ(number.status().message(), "Unexpected value at 'keyId': expected a string, got a number");

  auto list = Decode("Encrypt", R"({"KeyId": "k", "Plaintext": "aGk=", "GrantTokens": "t"})");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().detail(), Detail(CodecError::kMalformed));

  auto map_value = Decode("Encrypt", R"({"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"a": 1}})");
  ASSERT_FALSE(map_value.ok());
  EXPECT_EQ(map_value.status().detail(), Detail(CodecError::kMalformed));

  auto integer = Decode("ListAliases", R"({"Limit": "10"})");
  ASSERT_FALSE(integer.ok());
  EXPECT_EQ(integer.status().detail(), Detail(CodecError::kMalformed));
  auto fraction = Decode("ListAliases", R"({"Limit": 1.5})");
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.status().detail(), Detail(CodecError::kMalformed));

  auto boolean = Decode("CreateKey", R"({"BypassPolicyLockoutSafetyCheck": "true"})");
  ASSERT_FALSE(boolean.ok());
  EXPECT_EQ(boolean.status().detail(), Detail(CodecError::kMalformed));

  auto base64 = Decode("Encrypt", R"({"KeyId": "k", "Plaintext": "not base64!"})");
  ASSERT_FALSE(base64.ok());
  EXPECT_EQ(base64.status().detail(), Detail(CodecError::kMalformed));
}

TEST_F(JsonCodecTest, MalformedJson) {
  for (std::string_view body : {R"({"KeyId": )", "{", "not json", R"({"KeyId": "k",})"}) {
    auto doc = Decode("DescribeKey", body);
    ASSERT_FALSE(doc.ok()) << body;
    EXPECT_EQ(doc.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(doc.status().detail(), Detail(CodecError::kMalformed)) << body;
  }
}

TEST_F(JsonCodecTest, NonObjectJson) {
  for (std::string_view body : {"[]", R"("KeyId")", "42", "null", "true"}) {
    auto doc = Decode("DescribeKey", body);
    ASSERT_FALSE(doc.ok()) << body;
    EXPECT_EQ(doc.status().detail(), Detail(CodecError::kMalformed)) << body;
    EXPECT_EQ(doc.status().message(), "The request body must be a JSON object");
  }
}

// Encoded bodies below were checked with botocore 1.43.11's own JSON parser:
//   import botocore.session, botocore.parsers
//   m = botocore.session.get_session().get_service_model('kms')
//   p = botocore.parsers.create_parser('json')
//   p.parse({'body': BODY.encode(), 'headers': {}, 'status_code': 200},
//           m.operation_model(OP).output_shape)
//   Encrypt -> {'CiphertextBlob': b'\x00\x01\x02\xff',
//       'KeyId': 'arn:aws:kms:us-east-1:111122223333:key/k', 'EncryptionAlgorithm': 'SYMMETRIC_DEFAULT'}
//   DescribeKey (body of EncodeTimestampsAndNulls) -> {'KeyMetadata': {'AWSAccountId': '111122223333',
//       'KeyId': 'k', 'CreationDate': datetime(2024, 5, 1, 12, 0, tzinfo=tzlocal()), 'Enabled': True,
//       'KeyState': 'Enabled', 'DeletionDate': datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=tzlocal()),
//       'EncryptionAlgorithms': ['SYMMETRIC_DEFAULT']}}
//   ListAliases -> {'Aliases': [{'AliasName': 'alias/a', 'TargetKeyId': 'k',
//       'CreationDate': datetime(1970, 1, 1, 0, 0, 1, tzinfo=tzlocal())}], 'Truncated': False}
//   error body (status 400, shape None) -> {'Error': {'Message': "Key 'k' does not exist",
//       'Code': 'NotFoundException'}}
TEST_F(JsonCodecTest, EncodeBlobBase64) {
  json out = {{"KeyId", "arn:aws:kms:us-east-1:111122223333:key/k"},
              {"CiphertextBlob", json::binary({0x00, 0x01, 0x02, 0xff})},
              {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"},
              {"NotInModel", "dropped"}};
  EXPECT_EQ(EncodeJsonResponse(Op("Encrypt"), out),
            R"({"CiphertextBlob":"AAEC/w==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT",)"
            R"("KeyId":"arn:aws:kms:us-east-1:111122223333:key/k"})");
}

TEST_F(JsonCodecTest, EncodeTimestampsAndNulls) {
  json out = {{"KeyMetadata",
               {{"AWSAccountId", "111122223333"},
                {"KeyId", "k"},
                {"CreationDate", 1714564800},
                {"DeletionDate", 1714564800.5},
                {"ValidTo", nullptr},
                {"Enabled", true},
                {"KeyState", "Enabled"},
                {"EncryptionAlgorithms", {"SYMMETRIC_DEFAULT"}}}}};
  json wire = json::parse(EncodeJsonResponse(Op("DescribeKey"), out));
  const json& md = wire["KeyMetadata"];
  EXPECT_EQ(md["CreationDate"], 1714564800);
  EXPECT_DOUBLE_EQ(md["DeletionDate"].get<double>(), 1714564800.5);
  EXPECT_FALSE(md.contains("ValidTo"));
  EXPECT_EQ(md["Enabled"], true);
  EXPECT_EQ(md["EncryptionAlgorithms"], json::array({"SYMMETRIC_DEFAULT"}));

  // ISO strings in the document become epoch numbers too.
  json iso = {{"KeyMetadata", {{"KeyId", "k"}, {"CreationDate", "2024-05-01T12:00:00Z"}}}};
  EXPECT_EQ(json::parse(EncodeJsonResponse(Op("DescribeKey"), iso))["KeyMetadata"]["CreationDate"], 1714564800);
}

TEST_F(JsonCodecTest, EncodeRoundTripsDecode) {
  json out = {{"Aliases", {{{"AliasName", "alias/a"}, {"TargetKeyId", "k"}, {"CreationDate", 1}}}},
              {"Truncated", false}};
  EXPECT_EQ(EncodeJsonResponse(Op("ListAliases"), out),
            R"({"Aliases":[{"AliasName":"alias/a","CreationDate":1,"TargetKeyId":"k"}],"Truncated":false})");
}

TEST_F(JsonCodecTest, EncodeWithoutOutput) {
  EXPECT_EQ(EncodeJsonResponse(Op("CreateAlias"), json::object()), "{}");
  EXPECT_EQ(EncodeJsonResponse(Op("ListKeys"), json()), "{}");
}

TEST_F(JsonCodecTest, EncodeError) {
  EXPECT_EQ(EncodeJsonError("NotFoundException", "Key 'k' does not exist"),
            R"({"__type":"NotFoundException","message":"Key 'k' does not exist"})");
  EXPECT_EQ(EncodeJsonError("InvalidCiphertextException", ""),
            R"({"__type":"InvalidCiphertextException","message":""})");
}

}  // namespace
}  // namespace kura::api
