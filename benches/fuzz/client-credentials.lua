-- wrk: a client_credentials request as s1 (BASIC is base64 of s1:secret),
-- or with GRANT=invalid a code exchange with a code never issued (400).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")
if os.getenv("GRANT") == "invalid" then
  wrk.body = "grant_type=authorization_code&code=never-issued&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&code_verifier=" .. string.rep("a", 43)
else
  wrk.body = "grant_type=client_credentials&scope=api%3Aread"
end
