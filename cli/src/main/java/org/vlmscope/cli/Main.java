package org.vlmscope.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code vlmscope} command: a thin layer that parses arguments, calls the libraries and prints. */
@Command(name = "vlmscope", mixinStandardHelpOptions = true, version = "vlmscope " + Main.VERSION,
        description = "Interpretability of vision-language models through ONNX graph surgery.",
        subcommands = {ExportCommand.class, InspectCommand.class, SurgeryCommand.class, RunCommand.class,
                AttributeCommand.class,
                DiffCommand.class, DatasetCommand.class, ScenesCommand.class, MeanCommand.class,
                AblationCommand.class,
                LogitLensCommand.class,
                KnockoutCommand.class, ReportCommand.class, DemoCommand.class,
                BenchCommand.class})
public final class Main implements Runnable {
    public static final String VERSION = "0.1.0";

    /**
     * Read by {@link ErrorHandler} from the parse result rather than from this field: an inherited option
     * given after a subcommand name is recorded on the subcommand, not here.
     */
    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On failure, print the stack trace after the error message.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    /** Without a subcommand there is nothing to do: that is a usage error, answered with the usage. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: choose one of "
                + spec.subcommands().keySet());
    }

    /** The command line with the exit-code mapping of failures; tests run commands through this too. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setExecutionExceptionHandler(new ErrorHandler());
    }

    /**
     * The stack of the thread that runs a command. ONNX Runtime creates sessions and runs graphs on the calling
     * thread; on the JVM's default 1 MB stack, a CLI process started by the test runner died inside it by SIGSEGV
     * (exit 139, no error report), and 4 MB sufficed. 16 MB leaves room for larger graphs.
     */
    private static final long COMMAND_STACK_BYTES = 16L << 20;

    public static void main(String[] args) throws InterruptedException {
        int[] exitCode = {1};   // stays 1 if an Error escapes the command (the thread's handler prints it)
        Thread command = new Thread(null, () -> exitCode[0] = commandLine().execute(args), "vlmscope",
                COMMAND_STACK_BYTES);
        command.start();
        command.join();
        System.exit(exitCode[0]);
    }
}
