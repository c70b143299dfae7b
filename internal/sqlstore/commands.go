package sqlstore

// The operations of a hubbub.CommandStore, as errors name them. The checks of a command are
// hubbub.Command.Check and Apply, shared by every store.
const (
	OpCreateCommand      Op = "create command"
	OpCommand            Op = "command"
	OpCommands           Op = "commands"
	OpUpdateCommand      Op = "update command"
	OpDeleteCommand      Op = "delete command"
	OpUseCommandResponse Op = "use command response"
)
