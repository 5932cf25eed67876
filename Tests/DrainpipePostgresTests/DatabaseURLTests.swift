import DrainpipeCore
import DrainpipePostgres
import Testing

@Suite("DatabaseURL")
struct DatabaseURLTests {
    @Test("parses a Heroku-style URL and defaults to sslmode=require")
    func heroku() throws {
        let url = try DatabaseURL(environmentValue: "postgres://u1:p4ss@ec2-1-2-3-4.compute.amazonaws.com:5432/d9x")
        #expect(url.user == "u1")
        #expect(url.password == "p4ss")
        #expect(url.host == "ec2-1-2-3-4.compute.amazonaws.com")
        #expect(url.port == 5432)
        #expect(url.database == "d9x")
        #expect(url.sslMode == .require)
        #expect(url.parameters.isEmpty)
    }

    @Test("accepts postgresql://, a default port, no credentials and an explicit sslmode")
    func variants() throws {
        let url = try DatabaseURL(environmentValue: "postgresql://localhost/metrics?sslmode=disable")
        #expect(url.user == nil && url.password == nil)
        #expect(url.port == 5432)
        #expect(url.database == "metrics")
        #expect(url.sslMode == .disable)
        let bare = try DatabaseURL(environmentValue: "POSTGRES://db.internal")
        #expect(bare.database == nil)
        #expect(bare.host == "db.internal")
    }

    @Test("percent-decodes every component")
    func percentDecoding() throws {
        let url = try DatabaseURL(
            environmentValue: "postgres://us%40er:p%3Ass%2Fw%25rd%20@h%2Dx:6543/my%20db?application_name=drain%26pipe")
        #expect(url.user == "us@er")
        #expect(url.password == "p:ss/w%rd ")
        #expect(url.host == "h-x")
        #expect(url.port == 6543)
        #expect(url.database == "my db")
        #expect(url.parameters == ["application_name": "drain&pipe"])
    }

    @Test("reads bracketed IPv6 hosts")
    func ipv6() throws {
        let url = try DatabaseURL(environmentValue: "postgres://u@[::1]:5433/d")
        #expect(url.host == "::1")
        #expect(url.port == 5433)
        #expect(url.endpoint == "[::1]:5433")
    }

    @Test("renders a conninfo string with every value quoted and escaped")
    func conninfo() throws {
        let url = try DatabaseURL(
            environmentValue: "postgres://u:it%27s%5Ca%20b@h:5432/d?sslmode=verify-full&application_name=x")
        #expect(
            url.conninfo
                == #"host='h' port='5432' user='u' password='it\'s\\a b' "#
                + #"dbname='d' sslmode='verify-full' application_name='x'"#
        )
    }

    @Test("hides the password wherever it is printed")
    func redaction() throws {
        let url = try DatabaseURL(environmentValue: "postgres://user:s3cr3t-value@h:5432/d?sslpassword=k3y-value")
        for text in [url.redacted, url.description, "\(url)", String(reflecting: url)] {
            #expect(!text.contains("s3cr3t-value"))
            #expect(!text.contains("k3y-value"))
        }
        #expect(url.redacted == "postgres://user:********@h:5432/d?sslmode=require&sslpassword=********")
        var dumped = ""
        dump(url, to: &dumped)
        #expect(!dumped.contains("s3cr3t-value"))
    }

    @Test(
        "rejects malformed URLs without echoing them",
        arguments: [
            "", "localhost:5432", "mysql://u:p@h/d", "postgres://", "postgres://u:p@/d", "postgres://u:p@h:0/d",
            "postgres://u:p@h:70000/d", "postgres://u:p@h:54x/d", "postgres://u:p@h/d?sslmode=sometimes",
            "postgres://u:p@h/d?password=x", "postgres://u:p@h/d?Bad-Key=1", "postgres://u:p@h/d?flag",
            "postgres://u:p%zz@h/d", "postgres://u:p%00@h/d", "postgres://u:p@h/a/b", "postgres://u:p@[::1/d",
            "postgres://u:p@h/d#fragment",
        ])
    func malformed(text: String) {
        #expect(throws: EnvironmentValueError.self) { try DatabaseURL(environmentValue: text) }
        do {
            _ = try DatabaseURL(environmentValue: text)
        } catch {
            #expect(!error.expected.contains("u:p"))
        }
    }

    @Test("reports a malformed DATABASE_URL through Environment")
    func environment() {
        var problems: [ConfigurationError.Problem] = []
        let env = Environment(["DATABASE_URL": "postgres://u:hunter2@h:99999/d"])
        #expect(env.required("DATABASE_URL", as: DatabaseURL.self, noting: &problems) == nil)
        #expect(problems.count == 1)
        #expect(!problems.description.contains("hunter2"))
    }
}
