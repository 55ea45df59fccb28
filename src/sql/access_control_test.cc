// Users, roles, grants and the SQLite authorizer, on real data directories and SQLite files.
#include "sql/access_control.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sql/parser.h"
#include "sql/session.h"
#include "util/status_matchers.h"

namespace cofre::sql {
namespace {

using ::testing::HasSubstr;

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cofre-access-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    SessionOptions o;
    o.data_dir = dir_;
    ASSERT_OK_AND_ASSIGN(root_, Session::Open(o));
    Run(root_.get(), "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)");
    Run(root_.get(), "CREATE TABLE secret (x TEXT)");
    Run(root_.get(), "INSERT INTO t VALUES (1, 'one')");
    Run(root_.get(), "CREATE USER alice WITH PASSWORD 'pw-alice'");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void Run(Session* s, const std::string& sql) {
    ASSERT_THAT(s->Execute(sql), IsOk()) << sql;
  }
  std::unique_ptr<Session> As(const std::string& user) {
    SessionOptions o;
    o.data_dir = dir_;
    o.user = user;
    auto s = Session::Open(o);
    EXPECT_THAT(s, IsOk());
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string dir_;
  std::unique_ptr<Session> root_;
};

TEST_F(AccessControlTest, ParsesAndDescribesWithoutThePassword) {
  ASSERT_OK_AND_ASSIGN(Statement s,
                       ParseStatement("CREATE USER IF NOT EXISTS bob WITH PASSWORD 'x' LOGIN"));
  ASSERT_TRUE(std::holds_alternative<CreateRole>(s));
  EXPECT_EQ(std::get<CreateRole>(s).name, "bob");
  ASSERT_OK_AND_ASSIGN(Statement g,
                       ParseStatement("GRANT SELECT, INSERT ON TABLE db.t, db.* TO a, b"));
  ASSERT_TRUE(std::holds_alternative<GrantPrivileges>(g));
  EXPECT_EQ(std::get<GrantPrivileges>(g).on.names, (std::vector<std::string>{"db.t", "db.*"}));
  ASSERT_OK_AND_ASSIGN(Statement sys, ParseStatement("GRANT SYSTEM BACKUP TO bob"));
  EXPECT_EQ(std::get<GrantPrivileges>(sys).on.kind, GrantObject::Kind::kSystem);
  ASSERT_OK_AND_ASSIGN(Statement roles, ParseStatement("REVOKE admin FROM bob"));
  EXPECT_TRUE(std::get<GrantRoles>(roles).revoke);
  EXPECT_FALSE(ParseStatement("GRANT SELECT ON TO bob").ok());
}

TEST_F(AccessControlTest, PasswordsAreStoredAsVerifiersOnly) {
  auto dir = DataDir::Open(dir_);
  ASSERT_THAT(dir, IsOk());
  AccessControl access(dir->get());
  ASSERT_THAT(access.Init(), IsOk());
  ASSERT_OK_AND_ASSIGN(AccessControl::Login login, access.GetLogin("ALICE"));
  EXPECT_TRUE(login.exists);
  ASSERT_TRUE(login.verifier.has_value());
  EXPECT_THAT(*login.verifier, HasSubstr("SCRAM-SHA-256$"));
  EXPECT_EQ(login.verifier->find("pw-alice"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(AccessControl::Login none, access.GetLogin("nobody"));
  EXPECT_FALSE(none.exists);
}

TEST_F(AccessControlTest, AuthorizerEnforcesGrants) {
  auto alice = As("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_THAT(alice->Execute("SELECT * FROM t"), StatusIs(StatusCode::kPermissionDenied));
  Run(root_.get(), "GRANT SELECT ON TABLE t TO alice");
  EXPECT_THAT(alice->Execute("SELECT * FROM t"), IsOk());
  // A view or a subquery over a table without the privilege is still refused.
  EXPECT_THAT(alice->Execute("SELECT (SELECT x FROM secret) FROM t"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("secret")));
  EXPECT_THAT(alice->Execute("INSERT INTO t VALUES (2, 'two')"),
              StatusIs(StatusCode::kPermissionDenied));
  for (const char* sql :
       {"ATTACH DATABASE '/tmp/evil.db' AS e", "PRAGMA writable_schema = 1",
        "SELECT load_extension('/tmp/x')", "CREATE TABLE mine (a)", "DROP TABLE t",
        "CREATE USER eve", "GRANT SELECT ON TABLE secret TO alice"}) {
    auto r = alice->Execute(sql);
    EXPECT_THAT(r, StatusIs(StatusCode::kPermissionDenied)) << sql;
    EXPECT_EQ(r.status().detail(), ErrorDetail::kInsufficientPrivilege) << sql;
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/evil.db"));
  EXPECT_THAT(alice->Execute("PRAGMA table_info(t)"), IsOk());
  // A role's grants reach its members; revoking takes effect at the next statement.
  Run(root_.get(), "CREATE ROLE writers");
  Run(root_.get(), "GRANT INSERT ON TABLE t TO writers");
  Run(root_.get(), "GRANT writers TO alice");
  EXPECT_THAT(alice->Execute("INSERT INTO t VALUES (3, 'three')"), IsOk());
  Run(root_.get(), "REVOKE writers FROM alice");
  EXPECT_THAT(alice->Execute("INSERT INTO t VALUES (4, 'four')"),
              StatusIs(StatusCode::kPermissionDenied));
  // Cycles in role membership are refused.
  Run(root_.get(), "GRANT writers TO alice");
  EXPECT_FALSE(root_->Execute("GRANT alice TO writers").ok());
}

TEST_F(AccessControlTest, BackupPrivilegesAndAdminOnlyUris) {
  auto alice = As("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_THAT(alice->Execute("BACKUP INTO 'nodelocal://1/a'"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("admin")));
  EXPECT_THAT(alice->Execute("BACKUP DATABASE defaultdb INTO 's3://b/x?AUTH=implicit'"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("BACKUP")));
  EXPECT_THAT(alice->Execute("RESTORE FROM LATEST IN 's3://b/x?AUTH=implicit'"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("RESTORE")));
  Run(root_.get(), "GRANT SYSTEM BACKUP TO alice");
  // The privilege is there now; what fails is the storage, not the check.
  auto r = alice->Execute("BACKUP DATABASE defaultdb INTO 's3://b/x?AUTH=implicit'");
  EXPECT_NE(r.status().detail(), ErrorDetail::kInsufficientPrivilege);
  EXPECT_THAT(root_->Execute("DROP USER root"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cofre::sql
