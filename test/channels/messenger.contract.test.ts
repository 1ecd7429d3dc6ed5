import { adapterContract } from './adapter-contract';
import { metaContractRig } from './meta-contract-rig';

adapterContract({ provider: 'messenger', setup: () => metaContractRig('messenger') });
