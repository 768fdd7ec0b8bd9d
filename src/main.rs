fn main() -> std::process::ExitCode {
    grantcheck::cli::main()
}
