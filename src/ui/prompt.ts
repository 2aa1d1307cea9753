import readline from "node:readline";

/** Asks a yes/no question on the terminal. Only "y" or "yes" is yes; Enter and end of input are no. */
export function confirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let answered = false;
    rl.question(`${question} (y/N) `, (answer) => {
      answered = true;
      rl.close();
      resolve(/^(y|yes)$/i.test(answer.trim()));
    });
    rl.on("close", () => {
      if (!answered) {
        process.stderr.write("\n");
        resolve(false);
      }
    });
  });
}

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY);
}
